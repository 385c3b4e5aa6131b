// Command configgen writes the JSON Schema and the commented template of
// go-supervisor's config files, generated from package config's document
// types. Package config runs it with go generate:
//
//	go generate ./config/
//
// which is
//
//	go -C tools run ./cmd/configgen -src ../config -out ../config
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-supervisor/supervisor/tools/configgen"
)

func main() {
	src := flag.String("src", "../config", "the directory of package config's sources")
	out := flag.String("out", "../config", "the directory to write schema.json and template.yaml to")
	flag.Parse()
	schema, template, err := configgen.Generate(*src)
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "schema.json"), schema, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "template.yaml"), template, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "configgen:", err)
		os.Exit(1)
	}
}
