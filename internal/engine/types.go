package engine

import "time"

// Container is one thing running an image that can be swapped for a copy on a
// newer image. The runtime adapter fills it; the engine never sees the
// engine API's own types.
type Container struct {
	// Host names the engine the container runs on when cutover watches
	// several (Options.Host); "" with one engine.
	Host string
	// Kind is a container unless the runtime says it is a Swarm service.
	Kind    Kind
	ID      string
	Name    string // without the leading slash
	Image   string // the reference the user asked for, as configured
	ImageID string // the image it actually runs
	// Digest is the manifest digest a service's spec pins its image to,
	// what its tasks run; "" for a container, whose ImageID says.
	Digest string
	// Service describes a Swarm service; nil for a container.
	Service *ServiceInfo
	Labels  map[string]string
	State   State
	// RestartCount counts the engine's restarts of this container.
	RestartCount int
	// Links and NetworkContainer name the containers this one needs; with
	// the depends-on labels they order swaps and tell which containers
	// restart after a swap.
	Links            []string
	NetworkContainer string
	HasHealthcheck   bool
	// Healthcheck is the timing of the container's own healthcheck, when it
	// has one.
	Healthcheck Healthcheck
	StopSignal  string
	StopTimeout *time.Duration
	// AutoRemove is set for containers the engine deletes once they stop
	// (docker run --rm).
	AutoRemove bool
	Created    time.Time
}

// State is what the engine says a container is doing.
type State string

// The states the engine reports.
const (
	StateRunning    State = "running"
	StateRestarting State = "restarting"
	StatePaused     State = "paused"
	StateCreated    State = "created"
	StateExited     State = "exited"
	StateDead       State = "dead"
	StateRemoving   State = "removing"
)

// Running reports whether the container's process runs right now, so a
// command can be run inside it.
func (c Container) Running() bool { return c.State == StateRunning }

// Up reports whether the container is meant to be running: running, paused,
// or being restarted by its restart policy. A swap of an up container
// stops the old one and starts the new one.
func (c Container) Up() bool {
	switch c.State {
	case StateRunning, StateRestarting, StatePaused:
		return true
	}
	return false
}

// Wrecked reports whether the container can no longer be started: the
// engine failed to remove it (dead) or is removing it.
func (c Container) Wrecked() bool { return c.State == StateDead || c.State == StateRemoving }

// Healthcheck is the timing of a container's healthcheck; zero fields take
// the engine's defaults.
type Healthcheck struct {
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

// Image is a local image as the runtime knows it.
type Image struct {
	ID string
	// RepoDigests are "repository@sha256:..." entries, one per repository the
	// image was pulled from or pushed to.
	RepoDigests []string
	// Labels are the image's own labels (the version a container runs is
	// read from them).
	Labels map[string]string
	// Digest is, for an image no tag names any more on an engine that keeps
	// images by their manifest (the containerd store), the digest of that
	// manifest: the one it was pulled by. Such an engine drops an image's
	// RepoDigests when its tag moves on, as a pull of the new version does.
	// "" otherwise.
	Digest string
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
	State        State
	ExitCode     int
	RestartCount int
	Health       string // healthy, unhealthy, starting, or "" without healthcheck
	Error        string
	// LastOutput is the output of the engine's last run of the healthcheck.
	LastOutput string
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
