// Command app is the program inside cutover's test images: a tiny HTTP server
// whose version, health and start-up behaviour are chosen at build time or by
// environment, so integration tests can tell which image a container runs and
// make an update succeed, crash or fail its health gate on purpose.
//
// Build it with
//
//	CGO_ENABLED=0 go build -ldflags "-X main.version=v2 -X main.defaultMode=crash" ./testdata/app
//
// Modes (APP_MODE, or defaultMode set at build time, which wins):
//
//	crash      exit 1 at once
//	unhealthy  /healthz answers 500
//	slowstart  listen only after APP_START_DELAY (a Go duration, default 5s)
//
// Endpoints: / (version), /healthz, /env?name=X, /args, /data (the boots file
// in $APP_DATA). With APP_PROXY_TO set to a unix socket, it serves nothing of
// its own and passes every request to that socket instead: a socket proxy
// in front of the Docker engine. "app health" probes /healthz, for HEALTHCHECK; "app get URL"
// prints what URL answers, so a test can reach one container from another.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Set with -ldflags -X; they are the only values that differ between the
// images a test builds.
var (
	version     = "dev"
	defaultMode = ""
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8000"
	}
	if len(os.Args) > 1 && os.Args[1] == "health" {
		os.Exit(probe(port))
	}
	if len(os.Args) > 2 && os.Args[1] == "get" {
		os.Exit(get(os.Args[2]))
	}
	os.Exit(serve(port))
}

// mode prefers the build-time mode so that an image built broken stays broken
// whatever environment the container recreated from an older one inherits.
func mode() string {
	if defaultMode != "" {
		return defaultMode
	}
	return os.Getenv("APP_MODE")
}

func serve(port string) int {
	m := mode()
	fmt.Printf("app %s starting, mode %q, args %q\n", version, m, os.Args[1:])
	if m == "crash" {
		fmt.Println("crashing on purpose")
		return 1
	}

	// Signals are watched before any delay so a slow-starting container can
	// still be stopped cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGUSR2)
	done := make(chan int, 1)
	go watchSignals(sigs, done)

	dataDir := os.Getenv("APP_DATA")
	if dataDir != "" {
		if err := recordBoot(dataDir); err != nil {
			// Keep serving: /data then reports the error, which tells a test
			// more than a container that died.
			fmt.Printf("recording boot: %v\n", err)
		}
	}

	if m == "slowstart" {
		delay := 5 * time.Second
		if d, err := time.ParseDuration(os.Getenv("APP_START_DELAY")); err == nil {
			delay = d
		}
		fmt.Printf("slow start: waiting %s\n", delay)
		select {
		case code := <-done:
			return code
		case <-time.After(delay):
		}
	}

	var handler http.Handler = routes(m, dataDir)
	if socket := os.Getenv("APP_PROXY_TO"); socket != "" {
		handler = proxyTo(socket)
	}
	srv := &http.Server{Addr: ":" + port, Handler: handler}
	go func() {
		err := srv.ListenAndServe()
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("listen: %v\n", err)
			done <- 1
		}
	}()
	fmt.Printf("listening on :%s\n", port)
	return <-done
}

// watchSignals logs every signal by name and ends the program with status 0
// on a stop signal, so a test can see which signal the engine delivered and
// that the stop was clean. SIGUSR2 is only logged: it lets a test check
// delivery without stopping the container.
func watchSignals(sigs <-chan os.Signal, done chan<- int) {
	for s := range sigs {
		name, exits := signalName(s)
		fmt.Printf("received %s\n", name)
		if exits {
			done <- 0
			return
		}
	}
}

func signalName(s os.Signal) (name string, exits bool) {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM", true
	case syscall.SIGINT:
		return "SIGINT", true
	case syscall.SIGQUIT:
		return "SIGQUIT", true
	case syscall.SIGUSR1:
		return "SIGUSR1", true
	case syscall.SIGHUP:
		return "SIGHUP", true
	case syscall.SIGUSR2:
		return "SIGUSR2", false
	}
	return s.String(), false
}

func routes(m, dataDir string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, version)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if m == "unhealthy" {
			http.Error(w, "unhealthy", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getenv(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("GET /args", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, strings.Join(os.Args[1:], " "))
	})
	mux.HandleFunc("GET /data", func(w http.ResponseWriter, _ *http.Request) {
		if dataDir == "" {
			http.Error(w, "APP_DATA is not set", http.StatusNotFound)
			return
		}
		b, err := os.ReadFile(dataDir + "/boots.txt")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(b)
	})
	return mux
}

// recordBoot appends this image's version to a file in the data directory, so
// a test can see which versions have used a volume and that it survived.
func recordBoot(dir string) error {
	f, err := os.OpenFile(dir+"/boots.txt", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, version); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// probe is the image's HEALTHCHECK: scratch images have no curl.
func probe(port string) int {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Println(resp.Status)
		return 1
	}
	return 0
}

// get prints the body of a 200 answer from url, or the error and exits 1.
func get(url string) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Println(resp.Status, err)
		return 1
	}
	os.Stdout.Write(body)
	return 0
}

// proxyTo passes requests to the HTTP server on a unix socket, streams
// (events, logs) as they come.
func proxyTo(socket string) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "engine"
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}},
		FlushInterval: -1,
	}
}
