package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes the host a run measured, as it goes above the tables.
type Machine struct {
	CPU      string
	CPUs     int
	MemoryGB float64
	OS       string
	Kernel   string
	Docker   string
	Go       string
	Commit   string
	LoadAvg  string
}

// DescribeMachine gathers what is cheap to know; unknown parts stay empty.
// commit describes the cutover build measured; when empty, the repository's
// checkout is described instead.
func DescribeMachine(ctx context.Context, repo, commit string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb, err := procMeminfoKB("MemTotal"); err == nil {
		m.MemoryGB = float64(kb) / (1 << 20)
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	m.Docker, _ = docker(ctx, "version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}}), storage {{.Server.Os}}")
	if info, err := docker(ctx, "info", "--format", "{{.Driver}}, cgroup {{.CgroupDriver}}"); err == nil {
		m.Docker = strings.Replace(m.Docker, "storage linux", "storage "+info, 1)
	}
	m.Commit = commit
	if out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--short", "HEAD").Output(); err == nil && m.Commit == "" {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}

func procMeminfoKB(field string) (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			_, err := fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb, err
		}
	}
	return 0, fmt.Errorf("/proc/meminfo: no %s", field)
}

// Markdown renders the description as a list.
func (m Machine) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "- CPU: %d × %s\n", m.CPUs, orUnknown(m.CPU))
	fmt.Fprintf(&b, "- Memory: %.1f GiB\n", m.MemoryGB)
	fmt.Fprintf(&b, "- OS: %s, kernel %s\n", orUnknown(m.OS), orUnknown(m.Kernel))
	fmt.Fprintf(&b, "- Docker engine: %s\n", orUnknown(m.Docker))
	fmt.Fprintf(&b, "- Go: %s; cutover at %s\n", m.Go, orUnknown(m.Commit))
	fmt.Fprintf(&b, "- Load average at start: %s (the machine is shared)\n", orUnknown(m.LoadAvg))
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
