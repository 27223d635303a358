// Package fleet runs the update engine on several Docker engines as one:
// it fans checks, plans, updates, deploys and recoveries out to every
// engine at once, each at its own pace, and merges what they report, so
// that one engine that does not answer shows as such and holds back only
// its own containers. It shares the registry's answers among the engines,
// so an image several of them run costs one request per pass.
//
// A fleet of one engine is what cutover watching one engine always was.
package fleet
