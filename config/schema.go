package config

import _ "embed"

//go:generate go -C ../tools run ./cmd/configgen -src ../config -out ../config

//go:embed schema.json
var schema []byte

//go:embed template.yaml
var template []byte

// Schema returns the JSON Schema (draft 2020-12) of config files: every
// key, its type, its allowed values and its description. A file the schema
// rejects, Parse rejects too; Parse also rejects what a schema cannot know,
// such as names missing from the Registry (see docs/config.md). Editors
// that speak JSON Schema (through yaml-language-server, for instance) use
// it to complete and check config files.
//
// It is generated from the document types (File and the types it holds)
// by go generate; the caller may modify the returned slice.
func Schema() []byte { return append([]byte(nil), schema...) }

// Template returns a commented config file with every key and its default,
// commented out, around a minimal tree of one program. It loads as it is.
func Template() []byte { return append([]byte(nil), template...) }
