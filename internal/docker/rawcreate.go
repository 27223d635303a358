package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// createWithConfigMAC creates a container with a container-wide MAC address,
// which engines before API 1.44 take only in Config.MacAddress. The SDK's
// Config no longer has that field, so this one request is sent by hand, over
// the client's own connection to the engine.
func (r *Runtime) createWithConfigMAC(ctx context.Context, name, version string, req container.CreateRequest, mac string) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return "", err
	}
	fields["MacAddress"], _ = json.Marshal(mac)
	if body, err = json.Marshal(fields); err != nil {
		return "", err
	}

	base := ""
	if u, err := client.ParseHostURL(r.cli.DaemonHost()); err == nil {
		base = u.Path
	}
	u := url.URL{
		Scheme:   "http",
		Host:     client.DummyHost,
		Path:     path.Join(base, "/v"+version, "/containers/create"),
		RawQuery: url.Values{"name": {name}}.Encode(),
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	httpReq.Header.Set("Content-Type", "application/json")
	dial := r.cli.Dialer()
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
	}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(httpReq)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return "", errors.New(e.Message)
		}
		return "", fmt.Errorf("create: engine answered %s", resp.Status)
	}
	var created container.CreateResponse
	if err := json.Unmarshal(data, &created); err != nil {
		return "", err
	}
	return created.ID, nil
}
