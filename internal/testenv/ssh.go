package testenv

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SSHEngines is an SSH server on 127.0.0.1 that does for an engine what
// sshd and the docker CLI do on a remote host for `ssh HOST docker system
// dial-stdio`: it joins the session to the engine's socket (the one
// --host=unix://PATH names, else the default socket). A program run with
// Env reaches an engine as ssh://root@127.0.0.1:PORT/path/of/its/docker.sock:
// the ssh it finds first on its PATH uses a key and a configuration of the
// test's own (ssh reads ~/.ssh from the password database, not $HOME).
type SSHEngines struct {
	Addr string
	Env  []string
}

// StartSSHEngines starts the server, stopped when the test ends. It needs
// the ssh client program.
func StartSSHEngines(t testing.TB) *SSHEngines {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		unavailable(t, "no ssh client program: run scripts/setup-env.sh")
	}
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, clientKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if string(key.Marshal()) != string(allowed.Marshal()) {
			return nil, fmt.Errorf("unknown key")
		}
		return nil, nil
	}}
	cfg.AddHostKey(hostSigner)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSH(conn, cfg)
		}
	})

	s := &SSHEngines{Addr: l.Addr().String()}
	dir := t.TempDir()
	block, err := ssh.MarshalPrivateKey(clientKey, "")
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf("Host 127.0.0.1\n  IdentityFile %s\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n", keyPath)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	real, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	wrapper := fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", real, filepath.Join(dir, "config"))
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	s.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	return s
}

// serveSSH serves one connection: every session that asks to run docker
// system dial-stdio is joined to the engine's socket; anything else fails.
func serveSSH(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		go serveSession(ch, requests)
	}
}

func serveSession(ch ssh.Channel, requests <-chan *ssh.Request) {
	defer ch.Close()
	for req := range requests {
		if req.Type != "exec" {
			req.Reply(req.Type == "env", nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			req.Reply(false, nil)
			return
		}
		socket, ok := dialStdio(payload.Command)
		req.Reply(ok, nil)
		status := uint32(1)
		if ok {
			if engine, err := net.Dial("unix", socket); err == nil {
				done := make(chan struct{})
				go func() {
					io.Copy(ch, engine)
					close(done)
				}()
				io.Copy(engine, ch)
				engine.(*net.UnixConn).CloseWrite()
				<-done
				engine.Close()
				status = 0
			} else {
				fmt.Fprintln(ch.Stderr(), err)
			}
		}
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
		return
	}
}

// dialStdio reads `docker [--host=unix://PATH] system dial-stdio` and
// returns the socket it names.
func dialStdio(command string) (string, bool) {
	f := strings.Fields(strings.ReplaceAll(command, "'", ""))
	if len(f) < 3 || f[0] != "docker" || f[len(f)-2] != "system" || f[len(f)-1] != "dial-stdio" {
		return "", false
	}
	socket := "/var/run/docker.sock"
	for _, a := range f[1 : len(f)-2] {
		if p, ok := strings.CutPrefix(a, "--host=unix://"); ok {
			socket = p
		}
	}
	return socket, true
}
