// Package policy reads image tags as versions and chooses, under a
// container's version policy, the tag it is offered among its repository's
// tags. It does no I/O: the tags come from the registry adapter, and what
// to do with the choice is the update engine's business.
//
// # Tags as versions
//
// A tag has a version shape when it reads
//
//	[v] N(.N)* [pre-release] [-suffix]
//
// for example 1.27, v2.3.0, 16.4-bookworm, 2.1.0-rc1, 3.14.0rc2-slim or
// 20240101. The pre-release is one of the words dev, snapshot, nightly,
// canary, alpha (a), beta (b), pre, preview or rc, optionally followed by
// numbers ("rc1", "beta.2", "rc-3"), either after a dash or attached to the
// last number, as Python's tags have it. Whatever else follows a dash is the
// suffix, the image's flavour ("alpine", "slim-bookworm"). Tags such as
// latest, stable, main or sha-1a2b3c have no version shape.
//
// Decisions the rules below rest on, where conventions differ:
//
//   - Numbers compare as numbers, so leading zeros are allowed (Ubuntu's
//     22.04) and 1.02 is the same version as 1.2: neither is newer than
//     the other.
//   - A tag keeps its shape: the same prefix ("v" or none), the same number
//     of components and the same suffix. 1.27 and 1.27.0 are two shapes, so
//     a container on 1.27 moves to 1.28, never to 1.28.0.
//   - A first component of four or more digits is a year or a date
//     (2024.01, 20240101): it only moves to tags whose first component has
//     as many digits, and a shorter one never moves to it, so a repository
//     that switched from 3 to 20240101 (or back) does not mix the two.
//   - Build metadata ("+build") cannot occur: a tag may not contain "+".
//     Tags with "_" after the numbers (17.0.9_9-jdk) have no version shape.
//   - A suffix is compared as written, so a per-build suffix (-ls123, -r9)
//     only ever matches itself.
//   - Pre-releases order by their word (dev < alpha < beta < pre < rc),
//     then their numbers, and every pre-release comes before its release:
//     2.1.0-rc1 < 2.1.0-rc2 < 2.1.0.
//   - The current tag need not be among the repository's tags (it may have
//     been deleted): candidates are compared with it all the same.
package policy
