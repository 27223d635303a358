package engine

import "time"

// Container is one thing running an image that can be swapped for a copy on a
// newer image. The runtime adapter fills it; the engine never sees the
// engine API's own types.
type Container struct {
	ID      string
	Name    string // without the leading slash
	Image   string // the reference the user asked for, as configured
	ImageID string // the image it actually runs
	Labels  map[string]string
	State   string // running, exited, restarting, created, paused, dead
	// RestartCount counts the engine's restarts of this container.
	RestartCount int
	// Links, NetworkContainer and DependsOn name the containers this one needs;
	// they order swaps and tell which containers restart after a swap.
	Links            []string
	NetworkContainer string
	HasHealthcheck   bool
	StopSignal       string
	StopTimeout      *time.Duration
	Created          time.Time
}

// Running reports whether the container is up.
func (c Container) Running() bool { return c.State == "running" }

// Image is a local image as the runtime knows it.
type Image struct {
	ID string
	// RepoDigests are "repository@sha256:..." entries, one per repository the
	// image was pulled from or pushed to.
	RepoDigests []string
}

// Auth is what a registry needs to let a pull through.
type Auth struct {
	ServerAddress string
	Username      string
	Password      string
	IdentityToken string
	RegistryToken string
}

// Empty reports whether no credentials are set.
func (a Auth) Empty() bool {
	return a.Username == "" && a.Password == "" && a.IdentityToken == "" && a.RegistryToken == ""
}

// PullProgress is one progress report of a pull.
type PullProgress struct {
	Layer   string
	Status  string // Downloading, Extracting, Pull complete, ...
	Current int64
	Total   int64
}

// HealthState is what the runtime says of a started container.
type HealthState struct {
	State        string // running, exited, restarting, ...
	ExitCode     int
	RestartCount int
	Health       string // healthy, unhealthy, starting, or "" without healthcheck
	Error        string
}

// ProbeResult is the outcome of running a container's own healthcheck once.
type ProbeResult struct {
	Healthy bool
	Output  string
}

// ExecResult is the outcome of a command run inside a container.
type ExecResult struct {
	ExitCode int
	Output   string
}
