package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/engine"
)

// Job states, as GET /update/<id> reports them.
const (
	jobQueued     = "queued"
	jobPulling    = "pulling"
	jobRecreating = "recreating"
	jobDone       = "done"
	jobFailed     = "failed"
	jobRolledBack = "rolled_back"
)

type job struct {
	ID         string        `json:"id"`
	Container  string        `json:"container"`
	Image      string        `json:"image"`
	State      string        `json:"state"`
	Progress   *progressJSON `json:"progress,omitempty"`
	HTTPStatus int           `json:"http_status,omitempty"`
	Result     any           `json:"result,omitempty"`
	Created    time.Time     `json:"created"`
	Updated    time.Time     `json:"updated"`
}

type progressJSON struct {
	Layer   string `json:"layer"`
	Current int64  `json:"current"`
	Total   int64  `json:"total"`
	Percent int    `json:"percent"`
	Status  string `json:"status"`
}

func finalState(s string) bool { return s == jobDone || s == jobFailed || s == jobRolledBack }

// jobs runs deploys in the background and keeps their state, in memory while
// they run and in the store at every change of state, so a finished job is
// still readable after a restart.
type jobs struct {
	store JobStore
	log   *slog.Logger
	mu    sync.Mutex
	live  map[string]*job
}

func newJobs(store JobStore, log *slog.Logger) *jobs {
	return &jobs{store: store, log: log, live: map[string]*job{}}
}

func (js *jobs) start(req engine.DeployRequest, d Deployer, also engine.Sink) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	now := time.Now().UTC()
	j := &job{ID: hex.EncodeToString(b), Container: req.Container, Image: req.Image, State: jobQueued, Created: now, Updated: now}
	js.mu.Lock()
	js.live[j.ID] = j
	js.mu.Unlock()
	js.save(j)
	// The answer waits until the deploy has its place in the container's
	// queue: a client that sends its next request after this one's answer
	// can count on it running after this one.
	queued := make(chan struct{})
	var once sync.Once
	req.Queued = func() { once.Do(func() { close(queued) }) }
	go func() {
		defer req.Queued()
		out, err := d.Deploy(context.Background(), req, engine.SinkFunc(func(e engine.Event) {
			js.observe(j, e)
			if also != nil {
				also.Emit(e)
			}
		}))
		js.mu.Lock()
		if err != nil {
			j.State, j.HTTPStatus, j.Result = jobFailed, statusOf(err), errorBody(err.Error())
		} else {
			j.HTTPStatus, j.Result = deployResult(req, out)
			switch {
			case out.Result == engine.ResultUpdated, out.Result == engine.ResultFresh, errors.Is(out.Err, engine.ErrHandedOver):
				j.State = jobDone
			case out.Result == engine.ResultRolledBack:
				j.State = jobRolledBack
			default:
				j.State = jobFailed
			}
		}
		j.Progress, j.Updated = nil, time.Now().UTC()
		js.mu.Unlock()
		js.save(j)
		js.mu.Lock()
		delete(js.live, j.ID)
		js.mu.Unlock()
	}()
	<-queued
	return j.ID
}

func (js *jobs) observe(j *job, e engine.Event) {
	js.mu.Lock()
	prev := j.State
	switch e.Phase {
	case engine.PhasePulling:
		j.State = jobPulling
		if p := e.Progress; p != nil {
			j.Progress = &progressJSON{Layer: p.Layer, Current: p.Current, Total: p.Total, Percent: percent(p.Current, p.Total), Status: p.Status}
		}
	case engine.PhaseRecreating, engine.PhaseHealthCheck:
		j.State, j.Progress = jobRecreating, nil
	}
	j.Updated = time.Now().UTC()
	changed := j.State != prev
	js.mu.Unlock()
	if changed {
		js.save(j)
	}
}

func percent(cur, total int64) int {
	if total <= 0 {
		return 0
	}
	return int(cur * 100 / total)
}

func (js *jobs) save(j *job) {
	if js.store == nil {
		return
	}
	js.mu.Lock()
	b, err := json.Marshal(j)
	js.mu.Unlock()
	if err == nil {
		err = js.store.SaveJob(j.ID, b)
	}
	if err != nil {
		js.log.Warn("cannot save deploy job", "job", j.ID, "err", err)
	}
}

// get returns a job's state. A job the store has as unfinished but that no
// longer runs was cut short by a restart.
func (js *jobs) get(id string) (job, error) {
	js.mu.Lock()
	if j, ok := js.live[id]; ok {
		cp := *j
		js.mu.Unlock()
		return cp, nil
	}
	js.mu.Unlock()
	if js.store == nil {
		return job{}, engine.ErrNotFound
	}
	b, err := js.store.LoadJob(id)
	if err != nil {
		return job{}, err
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil {
		return job{}, fmt.Errorf("job %s: %w", id, err)
	}
	if !finalState(j.State) {
		j.State, j.Result = jobFailed, errorBody("interrupted by a restart of cutover")
	}
	return j, nil
}
