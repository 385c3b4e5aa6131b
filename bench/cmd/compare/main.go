// Command compare measures go-supervisor against suture v4.0.6 and a
// hand-rolled floor (one supervising goroutine, a fresh context per run, one
// exit channel, no bookkeeping), in one run on one machine. The restart
// scenarios also run on "protected": go-supervisor with every restart
// protection switched on (see protectedRestarting).
//
// Every figure comes from a fresh process: the command re-executes itself
// once per subject, scenario and repetition, and reports the median of the
// repetitions. It prints a table with the ratio of go-supervisor to each
// peer, and can write every measurement as JSON.
//
//	go -C bench run ./cmd/compare                 # the full run, under 5 minutes on 2 cores
//	go -C bench run ./cmd/compare -json out.json  # also write JSON
//	go -C bench run ./cmd/compare -quick          # a smoke run of a few seconds
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() {
	var (
		runs     = flag.Int("runs", 3, "fresh processes per figure; the report shows their median")
		jsonPath = flag.String("json", "", "also write every measurement to this JSON file")
		quick    = flag.Bool("quick", false, "small sizes and short runs, to check that everything works")
		only     = flag.String("only", "", "run only the scenarios whose name contains this")
	)
	if workerMode() {
		return
	}
	flag.Parse()
	cfg := fullConfig
	if *quick {
		cfg = quickConfig
	}
	res, err := runAll(cfg, *runs, *quick, *only, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	printTable(os.Stdout, res)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, res); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
	}
	if behind := res.behind(); len(behind) > 0 {
		fmt.Printf("\ngo-supervisor is behind suture on: %s\n", strings.Join(behind, ", "))
	}
}

// Worker processes get their job from the environment, so that a test
// binary can serve as a worker too.
const (
	workerEnv = "COMPARE_WORKER" // subject:scenario
	quickEnv  = "COMPARE_QUICK"  // "1" for the quick configuration
)

// workerMode runs the job of a worker process, if this is one, and reports
// whether it was.
func workerMode() bool {
	spec := os.Getenv(workerEnv)
	if spec == "" {
		return false
	}
	cfg := fullConfig
	if os.Getenv(quickEnv) == "1" {
		cfg = quickConfig
	}
	if err := runWorker(spec, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	return true
}

// runWorker measures one scenario for one subject and prints its figures
// as JSON on stdout.
func runWorker(spec string, cfg config) error {
	subj, scen, ok := strings.Cut(spec, ":")
	if !ok {
		return fmt.Errorf("bad -worker %q: want subject:scenario", spec)
	}
	s, ok := subjects[subj]
	if !ok {
		return fmt.Errorf("unknown subject %q", subj)
	}
	for _, sc := range scenarios(cfg) {
		if sc.name == scen {
			figs, err := sc.run(s, cfg)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", scen, subj, err)
			}
			return json.NewEncoder(os.Stdout).Encode(figs)
		}
	}
	return fmt.Errorf("unknown scenario %q", scen)
}

// Results holds every measurement of a comparison.
type Results struct {
	Machine  Machine `json:"machine"`
	Runs     int     `json:"runs"`
	Quick    bool    `json:"quick"`
	Duration string  `json:"duration"`
	// Figures maps subject → figure → the values of each run.
	Figures map[string]map[string][]float64 `json:"figures"`
	// Medians maps subject → figure → the median of the runs.
	Medians map[string]map[string]float64 `json:"medians"`
}

// Machine describes where the comparison ran.
type Machine struct {
	CPU        string `json:"cpu"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Date       string `json:"date"`
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Date: time.Now().UTC().Format(time.RFC3339)}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func runAll(cfg config, runs int, quick bool, only string, progress io.Writer) (*Results, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	res := &Results{Machine: machine(), Runs: runs, Quick: quick,
		Figures: map[string]map[string][]float64{}, Medians: map[string]map[string]float64{}}
	tty := isTerminal(progress)
	t0 := time.Now()
	for _, sc := range scenarios(cfg) {
		if only != "" && !strings.Contains(sc.name, only) {
			continue
		}
		for _, name := range subjectOrder {
			if sc.only != nil && !slices.Contains(sc.only, name) {
				continue
			}
			for r := range runs {
				step := fmt.Sprintf("%s / %s: run %d of %d", sc.name, name, r+1, runs)
				if tty {
					fmt.Fprintf(progress, "\r%-60s", step)
				} else if r == 0 {
					fmt.Fprintf(progress, "%s / %s\n", sc.name, name)
				}
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(self)
				cmd.Env = append(os.Environ(), workerEnv+"="+name+":"+sc.name)
				if quick {
					cmd.Env = append(cmd.Env, quickEnv+"=1")
				}
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					return nil, fmt.Errorf("%s on %s: %v\n%s", sc.name, name, err, stderr.String())
				}
				var figs map[string]float64
				if err := json.Unmarshal(stdout.Bytes(), &figs); err != nil {
					return nil, fmt.Errorf("%s on %s: bad output %q: %v", sc.name, name, stdout.String(), err)
				}
				if res.Figures[name] == nil {
					res.Figures[name] = map[string][]float64{}
				}
				for k, v := range figs {
					res.Figures[name][k] = append(res.Figures[name][k], v)
				}
			}
		}
	}
	if tty {
		fmt.Fprintf(progress, "\r%-60s\r", "")
	}
	for name, figs := range res.Figures {
		res.Medians[name] = map[string]float64{}
		for k, vs := range figs {
			s := slices.Clone(vs)
			slices.Sort(s)
			res.Medians[name][k] = s[len(s)/2]
		}
	}
	res.Duration = time.Since(t0).Round(time.Second).String()
	return res, nil
}

// isTerminal reports whether w is a character device, where progress can be
// redrawn on one line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func writeJSON(path string, res *Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
