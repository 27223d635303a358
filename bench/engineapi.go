package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// engineAPI speaks the Docker engine's HTTP API over its unix socket, for the
// few calls where forking the docker CLI would be too slow: the prober's
// port look-ups, the event stream, and creating hundreds of containers.
// The bench does not use cutover's own adapter, so that a bug there cannot
// hide itself by skewing the measurement.
type engineAPI struct {
	hc *http.Client
}

func newEngineAPI(sock string) *engineAPI {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 16,
	}
	return &engineAPI{hc: &http.Client{Transport: tr}}
}

// engineSocket is the local engine's unix socket: DOCKER_HOST's, or the
// default one.
func engineSocket() (string, error) {
	h := os.Getenv("DOCKER_HOST")
	if h == "" {
		return "/var/run/docker.sock", nil
	}
	if !strings.HasPrefix(h, "unix://") {
		return "", fmt.Errorf("DOCKER_HOST=%s: the bench needs a local engine on a unix socket", h)
	}
	return strings.TrimPrefix(h, "unix://"), nil
}

// callTimeout bounds one call to the engine's API, so a hung engine ends the
// run instead of stalling it.
const callTimeout = time.Minute

// do sends one request and decodes a JSON answer into out (when not nil). A
// status of 300 or more is an error carrying the engine's message.
func (a *engineAPI) do(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://engine"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &engineError{status: resp.StatusCode, msg: strings.TrimSpace(string(msg)), call: method + " " + path}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type engineError struct {
	status int
	msg    string
	call   string
}

func (e *engineError) Error() string { return fmt.Sprintf("engine %s: %d %s", e.call, e.status, e.msg) }

// containerInfo is the part of an inspect the bench reads.
type containerInfo struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State struct {
		Running bool `json:"Running"`
	} `json:"State"`
	NetworkSettings struct {
		Ports map[string][]struct {
			HostIP   string `json:"HostIp"`
			HostPort string `json:"HostPort"`
		} `json:"Ports"`
	} `json:"NetworkSettings"`
}

// hostAddr is the 127.0.0.1 address on which the container publishes
// containerPort ("8000/tcp"), or "" when it publishes none right now.
func (c containerInfo) hostAddr(containerPort string) string {
	for _, b := range c.NetworkSettings.Ports[containerPort] {
		if b.HostPort == "" {
			continue
		}
		if b.HostIP == "" || b.HostIP == "0.0.0.0" || b.HostIP == "127.0.0.1" {
			return net.JoinHostPort("127.0.0.1", b.HostPort)
		}
	}
	return ""
}

func (a *engineAPI) inspect(ctx context.Context, idOrName string) (containerInfo, error) {
	var ci containerInfo
	err := a.do(ctx, http.MethodGet, "/containers/"+url.PathEscape(idOrName)+"/json", nil, &ci)
	ci.Name = strings.TrimPrefix(ci.Name, "/")
	return ci, err
}

// createSpec is a container with only an image, labels and environment: the
// cheap kind the dashboard measurement needs by the hundred.
type createSpec struct {
	Image  string            `json:"Image"`
	Env    []string          `json:"Env,omitempty"`
	Labels map[string]string `json:"Labels,omitempty"`
}

func (a *engineAPI) run(ctx context.Context, name string, spec createSpec) error {
	var created struct {
		ID string `json:"Id"`
	}
	if err := a.do(ctx, http.MethodPost, "/containers/create?name="+url.QueryEscape(name), spec, &created); err != nil {
		return err
	}
	return a.do(ctx, http.MethodPost, "/containers/"+created.ID+"/start", nil, nil)
}

// containerEvent is something the engine did to a container.
type containerEvent struct {
	Time   time.Time
	Action string // create, start, kill, die, stop, rename, destroy
	ID     string
	// Attributes are the container's name, image and labels.
	Attributes map[string]string
}

// events streams the create, start, kill, die, stop, rename and destroy
// events of containers
// labelled label until ctx ends or the stream breaks; the channel is closed
// then.
func (a *engineAPI) events(ctx context.Context, label string) (<-chan containerEvent, error) {
	filters, _ := json.Marshal(map[string][]string{
		"type":  {"container"},
		"event": {"create", "start", "kill", "die", "stop", "rename", "destroy"},
		"label": {label},
	})
	path := fmt.Sprintf("/events?since=%d&filters=%s", time.Now().Unix(), url.QueryEscape(string(filters)))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://engine"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("engine events: status %s", resp.Status)
	}
	out := make(chan containerEvent, 256)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var ev struct {
				TimeNano int64  `json:"timeNano"`
				Action   string `json:"Action"`
				Actor    struct {
					ID         string            `json:"ID"`
					Attributes map[string]string `json:"Attributes"`
				} `json:"Actor"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			select {
			case out <- containerEvent{Time: time.Unix(0, ev.TimeNano), Action: ev.Action, ID: ev.Actor.ID, Attributes: ev.Actor.Attributes}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
