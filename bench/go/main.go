// Drives containerd's own Go package cio through the same throughput runs
// as cio-bench, so that both are measured on one machine in one run.
//
// Built and run by `cargo xtask bench` when Go and Debian's
// golang-github-containerd-containerd-dev are installed:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o cio-go-bench main.go
//	cio-go-bench throughput SINK BYTES WRITER FILE
//
// SINK is devnull, file or counter; WRITER is the cio-bench binary, whose
// `writer` command plays the task. The result is one line of JSON, in the
// format of cio-bench's.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/containerd/containerd/cio"
)

// counter is an in-memory sink that counts what it is given.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cio-go-bench:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 || os.Args[1] != "throughput" {
		fail(fmt.Errorf("usage: cio-go-bench throughput SINK BYTES WRITER FILE"))
	}
	sink, writer, path := os.Args[2], os.Args[4], os.Args[5]
	total, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fail(err)
	}

	// The sink, as a containerd client would hand it to cio.
	var out interface{ Write([]byte) (int, error) }
	var count *counter
	switch sink {
	case "devnull":
		f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
		if err != nil {
			fail(err)
		}
		out = f
	case "file":
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		defer os.Remove(path)
		out = f
	case "counter":
		count = &counter{}
		out = count
	default:
		fail(fmt.Errorf("unknown sink %q", sink))
	}

	dir, err := os.MkdirTemp("", "cio-go-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)

	// Time runs from the writer's start to the last byte in the sink.
	cpuBefore := cpuTime()
	started := time.Now()
	io, err := cio.NewCreator(cio.WithStreams(nil, out, nil), cio.WithFIFODir(dir))("bench")
	if err != nil {
		fail(err)
	}
	cmd := exec.Command(writer, "writer", io.Config().Stdout, strconv.FormatInt(total, 10), "65536")
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	if err := cmd.Wait(); err != nil {
		fail(err)
	}
	io.Wait()
	secs := time.Since(started).Seconds()
	cpu := (cpuTime() - cpuBefore).Seconds()
	io.Close()

	moved := total
	switch sink {
	case "file":
		st, err := os.Stat(path)
		if err != nil {
			fail(err)
		}
		moved = st.Size()
	case "counter":
		moved = count.n
	}
	if moved != total {
		fail(fmt.Errorf("%d of %d bytes arrived", moved, total))
	}
	gib := float64(total) / float64(1<<30)
	names := map[string]string{"devnull": "/dev/null", "file": "file", "counter": "in-memory writer"}
	fmt.Printf("{\"bench\":\"throughput\",\"name\":\"Go cio -> %s\",\"bytes\":%d,\"secs\":%g,\"gb_per_s\":%g,\"cpu_s_per_gib\":%g}\n",
		names[sink], total, secs, float64(total)/secs/1e9, cpu/gib)
}
