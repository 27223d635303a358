package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/engine"
)

// deployRequest is autodok's body, plus what cutover adds.
type deployRequest struct {
	Container *string           `json:"container"`
	Image     *string           `json:"image"`
	Registry  *registryAuthJSON `json:"registry"`
	Force     bool              `json:"force"`
	// Host names the engine, among several, the container runs on; needed
	// only when several have a container of that name.
	Host *string `json:"host"`
}

type registryAuthJSON struct {
	ServerAddress string `json:"serveraddress"`
	Username      string `json:"username"`
	Password      string `json:"password"`
}

type deployResponse struct {
	Message    string `json:"message"`
	Container  string `json:"container"`
	Image      string `json:"image"`
	OldDigest  string `json:"old_digest"`
	NewDigest  string `json:"new_digest"`
	DurationMS int64  `json:"duration_ms"`
	// Unit is the atomic project the container was deployed with.
	Unit *unitJSON `json:"unit,omitempty"`
}

// parseDeploy decodes and validates a deploy request without touching anything.
func parseDeploy(w http.ResponseWriter, r *http.Request) (engine.DeployRequest, error) {
	var body deployRequest
	if err := decodeJSON(w, r, &body); err != nil {
		return engine.DeployRequest{}, err
	}
	var missing []string
	if body.Container == nil || strings.TrimSpace(*body.Container) == "" {
		missing = append(missing, `"container"`)
	}
	if body.Image == nil || strings.TrimSpace(*body.Image) == "" {
		missing = append(missing, `"image"`)
	}
	if len(missing) > 0 {
		return engine.DeployRequest{}, badRequestf("missing field %s", strings.Join(missing, " and "))
	}
	req := engine.DeployRequest{Container: strings.TrimSpace(*body.Container), Image: strings.TrimSpace(*body.Image), Force: body.Force}
	if _, err := engine.ParseReference(req.Image); err != nil {
		return engine.DeployRequest{}, badRequestf("%v", err)
	}
	if body.Host != nil {
		req.Host = strings.TrimSpace(*body.Host)
	}
	if reg := body.Registry; reg != nil {
		req.Auth = engine.Auth{ServerAddress: reg.ServerAddress, Username: reg.Username, Password: reg.Password}
	}
	return req, nil
}

// deploy is autodok's POST /update: pull the image and recreate the named
// container on it. Synchronous unless ?wait=false.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) {
	req, err := parseDeploy(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	req.Admit = s.deps.DeployAdmit
	if wait, err := strconv.ParseBool(r.URL.Query().Get("wait")); err == nil && !wait {
		j := s.jobs.start(req, s.deps.Deployer, s.deps.Events)
		writeJSON(w, http.StatusAccepted, map[string]string{"id": j, "status_url": "/update/" + j})
		return
	}
	// The client going away must not cut a deploy short.
	out, err := s.deps.Deployer.Deploy(context.WithoutCancel(r.Context()), req, s.deps.Events)
	if err != nil {
		writeError(w, err)
		return
	}
	status, body := deployResult(req, out)
	writeJSON(w, status, body)
}

// deployResult turns an outcome into autodok's answer.
func deployResult(req engine.DeployRequest, o engine.Outcome) (int, any) {
	switch o.Result {
	case engine.ResultUpdated, engine.ResultFresh:
		msg := fmt.Sprintf("Container '%s' restarted with new image '%s'", req.Container, req.Image)
		if o.Result == engine.ResultFresh {
			msg = fmt.Sprintf("Container '%s' already runs '%s' (%s): not restarted", req.Container, req.Image, engine.ShortDigest(o.NewDigest))
		}
		return http.StatusOK, deployResponse{Message: msg, Container: req.Container, Image: req.Image,
			OldDigest: o.OldDigest, NewDigest: o.NewDigest, DurationMS: o.Duration.Milliseconds(), Unit: deployedUnit(o)}
	}
	msg := "update failed"
	if o.Err != nil {
		msg = o.Err.Error()
	}
	switch {
	case errors.Is(o.Err, engine.ErrHandedOver):
		// cutover's own container: the instance answering is about to be
		// replaced, so the outcome cannot be waited for here.
		return http.StatusAccepted, deployResponse{Message: fmt.Sprintf("Container '%s' is cutover itself: its update to '%s' was handed over to a one-shot container", req.Container, req.Image),
			Container: req.Container, Image: req.Image, OldDigest: o.OldDigest, NewDigest: o.NewDigest}
	case o.Result == engine.ResultSkipped:
		return http.StatusConflict, failedDeployJSON{errorBody("not updated: " + msg), false, deployedUnit(o)}
	}
	return http.StatusInternalServerError, failedDeployJSON{errorBody(msg), o.Result == engine.ResultRolledBack, deployedUnit(o)}
}

// failedDeployJSON is the answer to a deploy that ran and failed.
type failedDeployJSON struct {
	errorJSON
	RolledBack bool      `json:"rolled_back"`
	Unit       *unitJSON `json:"unit,omitempty"`
}

// deployedUnit is the atomic project a deploy took along, if any.
func deployedUnit(o engine.Outcome) *unitJSON {
	if o.Unit == nil {
		return nil
	}
	u := unitOf(*o.Unit)
	return &u
}

// errJobNotFound answers a job id nobody knows.
var errJobNotFound = fmt.Errorf("no such job: %w", engine.ErrNotFound)

func (s *Server) deployJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.get(r.PathValue("id"))
	if errors.Is(err, engine.ErrNotFound) {
		writeError(w, errJobNotFound)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}
