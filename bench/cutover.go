package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cutover runs the cutover binary under test. Every run leaves its output
// in Work/<label>.log.
type Cutover struct {
	Bin  string
	Work string
	// Engine is the DOCKER_HOST cutover is given.
	Engine string
}

func (c Cutover) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+c.Engine)
	// A bench killed without its cleanup must not leave cutover running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// RunResult is one finished cutover command.
type RunResult struct {
	Wall time.Duration
	// PeakRSS is the process's high-water resident set (VmHWM), read every
	// 10 ms, in bytes. The kernel's ru_maxrss would not do: a child started
	// with vfork inherits the parent's high-water mark at exec.
	PeakRSS int64
	// Sampled is the largest resident set seen, split into the process's own
	// memory (anonymous) and mapped files, mostly the binary.
	Sampled RSSSample
	Stdout  []byte
}

// RSSSample is one reading of /proc/PID/status, in bytes.
type RSSSample struct {
	RSS, Anon, File int64
	HWM             int64 // the high-water mark so far
}

// Run runs cutover with args, bounded by timeout, and fails when it exits
// with an error.
func (c Cutover) Run(ctx context.Context, label string, timeout time.Duration, args ...string) (RunResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logPath := filepath.Join(c.Work, label+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return RunResult{}, err
	}
	defer logf.Close()
	cmd := c.command(ctx, args...)
	var stdout bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, logf)
	cmd.Stderr = logf
	start := time.Now()
	err = cmd.Start()
	var peak RSSSample
	if err == nil {
		stop := make(chan struct{})
		sampled := make(chan RSSSample)
		go func() { sampled <- sampleRSS(cmd.Process.Pid, stop) }()
		err = cmd.Wait()
		close(stop)
		peak = <-sampled
	}
	res := RunResult{Wall: time.Since(start), Stdout: stdout.Bytes(), Sampled: peak, PeakRSS: peak.HWM}
	if err != nil {
		return res, fmt.Errorf("cutover %s: %v: %q (output in %s)", shortArgs(args), err, lastLine(logPath), logPath)
	}
	return res, nil
}

// shortArgs shows a command line without its long list of names.
func shortArgs(args []string) string {
	if len(args) <= 6 {
		return strings.Join(args, " ")
	}
	return fmt.Sprintf("%s … (%d more)", strings.Join(args[:5], " "), len(args)-5)
}

// lastLine is the last line of a log, where cutover says why it failed.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// checkedContainer is one container of `cutover check --json`.
type checkedContainer struct {
	Name   string `json:"container_name"`
	Status string `json:"status"`
}

// statusCounts counts the containers of a `cutover check --json` answer by
// status.
func statusCounts(out []byte) (map[string]int, error) {
	var groups []struct {
		Containers []checkedContainer `json:"containers"`
	}
	if err := json.Unmarshal(out, &groups); err != nil {
		return nil, fmt.Errorf("cutover check --json: %v", err)
	}
	counts := map[string]int{}
	for _, g := range groups {
		for _, c := range g.Containers {
			counts[c.Status]++
		}
	}
	return counts, nil
}

// Serve is a running `cutover serve` that watches the bench scope.
type Serve struct {
	URL   string
	Token string
	// Dashboard tells whether GET /api/images is there.
	Dashboard bool
	cmd       *exec.Cmd
	done      chan error
	log       *os.File
}

// StartServe starts `cutover serve` on a free loopback port. When the
// dashboard API is there, it waits until GET /api/images lists want
// containers, which it does after its first check of them; otherwise it
// waits until the server answers, and Dashboard is false.
func (c Cutover) StartServe(ctx context.Context, label string, want int) (*Serve, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(c.Work, label+"-data")
	logf, err := os.Create(filepath.Join(c.Work, label+".log"))
	if err != nil {
		return nil, err
	}
	s := &Serve{URL: "http://" + port, Token: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), done: make(chan error, 1), log: logf}
	// The token is the Watchtower token and the API key both, so that
	// /v1/update and the dashboard's API take it, whichever key each wants.
	if err := os.MkdirAll(data, 0o700); err != nil {
		logf.Close()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(data, "api_key"), []byte(s.Token+"\n"), 0o600); err != nil {
		logf.Close()
		return nil, err
	}
	s.cmd = c.command(context.WithoutCancel(ctx), "serve", "--listen", port, "--data-dir", data,
		"--scope", benchScope, "--http-api-update", "--http-api-token", s.Token,
		"--log-level", "warn", "--no-startup-message")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait() }()

	deadline := time.Now().Add(3 * time.Minute)
	for {
		n, err := s.listed(ctx)
		switch {
		case errors.Is(err, errNoDashboard):
			return s, nil
		case err == nil && n == want:
			s.Dashboard = true
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("cutover serve: /api/images lists %d containers (last error: %v), want %d within 3m; log in %s", n, err, want, logf.Name())
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("cutover serve exited: %v; log in %s", err, logf.Name())
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// errNoDashboard says that `cutover serve` has no GET /api/images yet.
var errNoDashboard = errors.New("GET /api/images is not available")

// listed counts the containers GET /api/images lists.
func (s *Serve) listed(ctx context.Context) (int, error) {
	body, status, err := s.request(ctx, http.MethodGet, "/api/images")
	if err != nil {
		return 0, err
	}
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		return 0, errNoDashboard
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("GET /api/images: status %d", status)
	}
	var groups []struct {
		Containers []json.RawMessage `json:"containers"`
	}
	if err := json.Unmarshal(body, &groups); err != nil {
		return 0, err
	}
	n := 0
	for _, g := range groups {
		n += len(g.Containers)
	}
	return n, nil
}

// Pass runs one pass through the update API and waits for its end.
func (s *Serve) Pass(ctx context.Context) error {
	body, status, err := s.request(ctx, http.MethodPost, "/v1/update")
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("POST /v1/update: status %d: %s", status, bytes.TrimSpace(body))
	}
	return nil
}

func (s *Serve) request(ctx context.Context, method, path string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

// RSS is the process's resident set now.
func (s *Serve) RSS() (RSSSample, error) { return readRSS(s.cmd.Process.Pid) }

// Stop ends the daemon with SIGTERM, or SIGKILL after 10 s.
func (s *Serve) Stop() {
	defer s.log.Close()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// sampleRSS polls the process's resident set every 10 ms until stop and
// returns the largest reading.
func sampleRSS(pid int, stop <-chan struct{}) RSSSample {
	var peak RSSSample
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s, err := readRSS(pid); err == nil {
			hwm := max(peak.HWM, s.HWM)
			if s.RSS > peak.RSS {
				peak = s
			}
			peak.HWM = hwm
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

func readRSS(pid int) (RSSSample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return RSSSample{}, err
	}
	kb := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasSuffix(v, "kB") {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64); err == nil {
			kb[k] = n * 1024
		}
	}
	if _, ok := kb["VmRSS"]; !ok {
		return RSSSample{}, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return RSSSample{RSS: kb["VmRSS"], Anon: kb["RssAnon"], File: kb["RssFile"] + kb["RssShmem"], HWM: kb["VmHWM"]}, nil
}

// freePort returns a loopback address nobody listens on right now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
