// Command payments is the supervisor command line with a payments
// service's Go functions registered: config files may name them in run:
// keys. It shows how a program embeds the CLI (package cli) with its own
// config.Registry.
//
//	go run ./examples/payments                      # a 12-second scripted demo
//	go run ./examples/payments run examples/payments/supervisor.yaml
//	go run ./examples/payments check examples/payments/supervisor.yaml
//
// With no arguments it runs a scripted demo: it starts the tree of
// supervisor.yaml, reloads it as supervisor.v2.yaml after 5 seconds (as
// SIGHUP would), and shuts it down after 12 (as SIGTERM would).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
	"github.com/go-supervisor/supervisor/config"
)

// ErrUpstream is what the poller returns when its upstream times out.
var ErrUpstream = errors.New("upstream timed out")

// registry holds the functions and errors the config files name.
func registry() *config.Registry {
	reg := &config.Registry{}
	reg.Func("payments.api", api)
	reg.Func("payments.proxy", idle)
	reg.Func("payments.worker", worker)
	reg.Func("payments.poller", poller)
	reg.Error("payments.ErrUpstream", ErrUpstream)
	return reg
}

func main() {
	if len(os.Args) > 1 {
		os.Exit(cli.Main(os.Args[1:], cli.Options{Registry: registry(), Name: "payments"}))
	}
	os.Exit(demo(os.Stdout, os.Stderr, 5*time.Second, 12*time.Second))
}

// demo runs the tree of supervisor.yaml from a copy, reloads the copy as
// supervisor.v2.yaml after reload, and stops it after stop.
func demo(stdout, stderr io.Writer, reload, stop time.Duration) int {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	if _, err := os.Stat(filepath.Join(dir, "supervisor.yaml")); err != nil {
		dir = filepath.Join("examples", "payments") // run from a built binary at the repository root
	}
	tmp, err := os.MkdirTemp("", "payments-demo")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "supervisor.yaml")
	copyFile := func(name string) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		return os.WriteFile(file, b, 0o600)
	}
	if err := copyFile("supervisor.yaml"); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	sigs := make(chan os.Signal, 2)
	go func() {
		time.Sleep(reload)
		if err := copyFile("supervisor.v2.yaml"); err != nil {
			fmt.Fprintln(stderr, err)
		}
		sigs <- syscall.SIGHUP
		time.Sleep(stop - reload)
		sigs <- syscall.SIGTERM
	}()
	fmt.Fprintf(stdout, "payments demo: running %s for %v, reloading supervisor.v2.yaml after %v\n",
		filepath.Join(dir, "supervisor.yaml"), stop, reload)
	return cli.Main([]string{"run", file}, cli.Options{Registry: registry(), Name: "payments", Signals: sigs,
		Stdout: stdout, Stderr: stderr})
}

// api serves HTTP on $PAYMENTS_ADDR (default 127.0.0.1:8089) and is ready
// once it listens.
func api(ctx context.Context) error {
	addr := os.Getenv("PAYMENTS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8089"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	supervisor.OnAbort(ctx, func() { ln.Close() })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	supervisor.Ready(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}

func idle(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// worker processes jobs, reporting its progress.
func worker(ctx context.Context) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var done uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			done++
			supervisor.Progress(ctx, done)
		}
	}
}

// poller polls an upstream that times out after a second and a half.
func poller(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(1500 * time.Millisecond):
		return fmt.Errorf("poll: %w", ErrUpstream)
	}
}
