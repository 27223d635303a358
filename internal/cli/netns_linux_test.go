package cli_test

import (
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// listenInNetns opens a TCP listener on each address inside the network
// namespace of process pid, for instance a container's loopback.
//
// The sockets are made on a thread that joins the namespace and never leaves
// it: the thread stays locked to its goroutine, so the runtime discards it
// when the goroutine ends and no other goroutine ever runs in the namespace.
// A socket keeps the namespace it was made in, so the listeners can be used
// from anywhere afterwards.
func listenInNetns(pid string, addrs []string) ([]net.Listener, error) {
	type result struct {
		ls  []net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var r result
		defer func() { done <- r }()
		f, err := os.Open("/proc/" + pid + "/ns/net")
		if err != nil {
			r.err = err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			r.err = fmt.Errorf("entering the network namespace of process %s: %w", pid, err)
			return
		}
		for _, a := range addrs {
			l, err := net.Listen("tcp", a)
			if err != nil {
				for _, l := range r.ls {
					l.Close()
				}
				r.ls, r.err = nil, err
				return
			}
			r.ls = append(r.ls, l)
		}
	}()
	r := <-done
	return r.ls, r.err
}
