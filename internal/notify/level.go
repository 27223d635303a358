package notify

import (
	"fmt"
	"strings"
)

// Level is how important an Entry is, with Watchtower's (logrus's) names
// and order: a lower level is more severe.
type Level uint32

// The levels, most severe first.
const (
	PanicLevel Level = iota
	FatalLevel
	ErrorLevel
	WarnLevel
	InfoLevel
	DebugLevel
	TraceLevel
)

var levelNames = [...]string{"panic", "fatal", "error", "warning", "info", "debug", "trace"}

// String is the level's name as Watchtower's templates printed it.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// MarshalText writes the name, so JSON carries it as a string.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLevel reads a level name in any case; "warn" is "warning".
func ParseLevel(s string) (Level, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "warn" {
		return WarnLevel, nil
	}
	for i, n := range levelNames {
		if n == name {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("level %q: want panic, fatal, error, warn, info, debug or trace", s)
}
