// Command supervisor runs supervision trees described by config files, and
// checks, compares and documents those files. Run "supervisor --help".
//
// This binary has no Go functions of its own: its trees are made of OS
// processes (exec children) and nested supervisors. To run Go functions
// named in a config file, build a binary of your own around package cli
// with your config.Registry.
package main

import (
	"os"

	"github.com/go-supervisor/supervisor/cmd/supervisor/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Options{}))
}
