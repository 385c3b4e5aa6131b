package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

// config is what one soak run does and how it is judged. parseFlags fills
// it from the command line; tests build it from defaultConfig.
type config struct {
	// Duration is how long the workload runs, warm-up included.
	Duration time.Duration
	// Interval is the sampling period.
	Interval time.Duration
	// Warmup is how long the run settles before it is measured; zero means
	// 10% of Duration, at least minWarmup.
	Warmup time.Duration
	// Out is the directory the report is written to.
	Out string

	// FailRate is the tree-wide rate of injected failures per second.
	FailRate float64
	// CmdRate is the rate of control commands per second, shared by
	// CmdWorkers concurrent command workers.
	CmdRate    float64
	CmdWorkers int
	// CmdTimeout bounds each command: one not answered by then counts as
	// unanswered.
	CmdTimeout time.Duration
	// ApplyEvery is the period of Tree.Apply reconfigurations (0: none).
	ApplyEvery time.Duration
	// SlowDelay is how long the slow subscriber spends on each event.
	SlowDelay time.Duration
	// Seed seeds every random choice of the workload.
	Seed uint64

	// RSSMinWindow is the shortest measured (post-warm-up) window over
	// which the RSS slope limit is enforced; shorter runs report the slope
	// for information only (see verdict.go).
	RSSMinWindow time.Duration
	// MaxRSSSlopeMBh is the RSS growth limit, in MB (10^6 bytes) per hour.
	MaxRSSSlopeMBh float64
	// MaxHeapGrowthMB bounds the growth of the live heap over the measured
	// window, in MB, fitted by least squares.
	MaxHeapGrowthMB float64
	// MinWorkload is the fraction of FailRate the run must reach for its
	// results to count: a soak that did not soak proves nothing.
	MinWorkload float64
}

// minWarmup is the shortest automatic warm-up.
const minWarmup = 10 * time.Second

// defaultConfig returns the configuration of `go run ./soak` without flags.
func defaultConfig() config {
	return config{
		Duration:        time.Hour,
		Interval:        time.Second,
		Out:             "soak-report",
		FailRate:        400,
		CmdRate:         40,
		CmdWorkers:      2,
		CmdTimeout:      10 * time.Second,
		ApplyEvery:      5 * time.Second,
		SlowDelay:       2 * time.Millisecond,
		Seed:            1,
		RSSMinWindow:    30 * time.Minute,
		MaxRSSSlopeMBh:  1,
		MaxHeapGrowthMB: 1,
		MinWorkload:     0.5,
	}
}

// warmup returns the effective warm-up period.
func (c config) warmup() time.Duration {
	if c.Warmup > 0 {
		return c.Warmup
	}
	return max(c.Duration/10, minWarmup)
}

// validate reports the first setting that makes no sense.
func (c config) validate() error {
	switch {
	case c.Duration <= 0:
		return errors.New("-duration must be positive")
	case c.Interval <= 0:
		return errors.New("-interval must be positive")
	case c.Warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.warmup() >= c.Duration:
		return fmt.Errorf("the warm-up (%v) must be shorter than -duration (%v): "+
			"the automatic warm-up is 10%% of the run and at least %v; set -warmup for shorter runs",
			c.warmup(), c.Duration, minWarmup)
	case c.Interval > (c.Duration-c.warmup())/3:
		return fmt.Errorf("-interval %v leaves fewer than 3 samples after the warm-up", c.Interval)
	case c.Out == "":
		return errors.New("-out must not be empty")
	case c.FailRate <= 0:
		return errors.New("-fail-rate must be positive")
	case c.CmdRate <= 0:
		return errors.New("-cmd-rate must be positive")
	case c.CmdWorkers < 1:
		return errors.New("-cmd-workers must be at least 1")
	case c.CmdTimeout <= 0:
		return errors.New("-cmd-timeout must be positive")
	case c.ApplyEvery < 0:
		return errors.New("-apply-every must not be negative")
	case c.SlowDelay < 0:
		return errors.New("-slow-delay must not be negative")
	case c.RSSMinWindow < 0:
		return errors.New("-rss-min-window must not be negative")
	case c.MaxRSSSlopeMBh <= 0 || c.MaxHeapGrowthMB <= 0:
		return errors.New("limits must be positive")
	case c.MinWorkload < 0 || c.MinWorkload > 1:
		return errors.New("-min-workload must be in [0, 1]")
	}
	return nil
}

// parseFlags parses the command line into a config. It returns
// flag.ErrHelp for -h, and an error for anything else that is not a valid
// configuration: both are usage errors, reported on stderr.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./soak [flags]\n\n"+
			"Runs a real supervision tree under steady failures, control commands and\n"+
			"subscribers, samples memory, goroutines and file descriptors, and writes\n"+
			"report.md, report.json and report.png to -out. Exit status: 0 pass, 1 fail,\n"+
			"2 usage error.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long the workload runs, warm-up included")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "sampling period")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "warm-up before measuring (0: 10% of -duration, at least 10s)")
	fs.StringVar(&c.Out, "out", c.Out, "directory to write report.md, report.json and report.png to")
	fs.Float64Var(&c.FailRate, "fail-rate", c.FailRate, "injected child failures per second, tree-wide")
	fs.Float64Var(&c.CmdRate, "cmd-rate", c.CmdRate, "control commands per second")
	fs.IntVar(&c.CmdWorkers, "cmd-workers", c.CmdWorkers, "concurrent command workers")
	fs.DurationVar(&c.CmdTimeout, "cmd-timeout", c.CmdTimeout, "a command not answered within this counts as unanswered")
	fs.DurationVar(&c.ApplyEvery, "apply-every", c.ApplyEvery, "period of Tree.Apply reconfigurations (0: none)")
	fs.DurationVar(&c.SlowDelay, "slow-delay", c.SlowDelay, "time the slow subscriber spends on each event")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the workload's random choices")
	fs.DurationVar(&c.RSSMinWindow, "rss-min-window", c.RSSMinWindow, "shortest post-warm-up window over which the RSS slope limit is enforced")
	fs.Float64Var(&c.MaxRSSSlopeMBh, "max-rss-slope", c.MaxRSSSlopeMBh, "RSS growth limit after warm-up, MB per hour")
	fs.Float64Var(&c.MaxHeapGrowthMB, "max-heap-growth", c.MaxHeapGrowthMB, "live-heap growth limit over the post-warm-up window, MB")
	fs.Float64Var(&c.MinWorkload, "min-workload", c.MinWorkload, "fraction of -fail-rate the run must reach to count")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, c.validate()
}

// setting is one configuration value as the report shows it.
type setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// settings lists the configuration as flag names and values, the
// warm-up as it is in effect.
func (c config) settings() []setting {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return []setting{
		{"duration", c.Duration.String()},
		{"interval", c.Interval.String()},
		{"warmup", c.warmup().String()},
		{"out", c.Out},
		{"fail-rate", f(c.FailRate)},
		{"cmd-rate", f(c.CmdRate)},
		{"cmd-workers", strconv.Itoa(c.CmdWorkers)},
		{"cmd-timeout", c.CmdTimeout.String()},
		{"apply-every", c.ApplyEvery.String()},
		{"slow-delay", c.SlowDelay.String()},
		{"seed", strconv.FormatUint(c.Seed, 10)},
		{"rss-min-window", c.RSSMinWindow.String()},
		{"max-rss-slope", f(c.MaxRSSSlopeMBh)},
		{"max-heap-growth", f(c.MaxHeapGrowthMB)},
		{"min-workload", f(c.MinWorkload)},
	}
}
