//go:build linux

package process_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/go-supervisor/supervisor/process"
)

// helperCommand returns a Command running the test binary as helper mode.
func helperCommand(t testing.TB, mode string, args ...string) *process.Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &process.Command{Path: exe, Args: args, Env: []string{helperEnv + "=" + mode}}
}

// helper runs a helper program and returns its exit code. Modes:
//
//	listen ADDR DELAY: wait DELAY, listen on ADDR, print "listening", serve
//	  until killed.
//	gate ADDR DELAY MARKER: listen on ADDR at once and print "bound"; after
//	  DELAY create the file MARKER and print "go"; serve until killed.
//	supervise: run a Command (sh printing its pid, then sleeping) under
//	  Command.Run, logging to stdout, until killed.
func helper(mode string, args []string) int {
	switch mode {
	case "listen":
		delay, _ := time.ParseDuration(args[1])
		time.Sleep(delay)
		ln, err := net.Listen("tcp", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("listening")
		serve(ln)
	case "gate":
		ln, err := net.Listen("tcp", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("bound")
		go serve(ln)
		delay, _ := time.ParseDuration(args[1])
		time.Sleep(delay)
		if err := os.WriteFile(args[2], nil, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("go")
		select {}
	case "supervise":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		cmd := &process.Command{
			Path:   "/bin/sh",
			Args:   []string{"-c", `echo "child $$"; exec sleep 1000`},
			Logger: slog.New(slog.NewTextHandler(os.Stdout, nil)),
		}
		if err := cmd.Run(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 2
	}
	return 0
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}
