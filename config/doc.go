// Package config loads supervision trees from YAML files: a file is a
// complete, runnable description of a tree, and Load returns the
// supervisor.Spec that supervisor.Start runs.
//
//	var reg config.Registry
//	reg.Func("api.serve", api.Serve)
//	spec, err := config.Load("supervisor.yaml", &reg)
//	if err != nil {
//		log.Fatal(err) // every problem, one per line: file:line:column: key: message
//	}
//	tree, err := supervisor.Start(ctx, spec)
//
// The format mirrors supervisor.Spec and supervisor.Child in snake_case:
//
//	name: shop
//	intensity: {max_restarts: 5, period: 10s}
//	children:
//	  - name: db
//	    exec:
//	      path: /usr/bin/postgres
//	      env: {PGPASSWORD: "${file:/run/secrets/pg}"}
//	      ready: {addr: "127.0.0.1:5432"}
//	    role: service
//	  - name: api
//	    run: api.serve
//	    backoff: {initial: 100ms, max: 10s, jitter: 0.2}
//
// A child runs a function the program registered (run), a program (exec,
// run by package process) or a nested supervisor (supervisor). The document
// types (File, Supervisor, Child and the types they hold) define every key;
// their comments describe them, and Schema and Template are generated from
// them.
//
// # Strict, and every problem at once
//
// An unknown or misspelt key is an error that names the key meant; so are
// a duplicate key, a value of the wrong type, an unknown enumeration value,
// a name the Registry lacks, and every problem supervisor.Validate finds,
// mapped to the key in the file and its line and column. Load reports all
// of them in one *Error, sorted by position.
//
// A key left out is unset: the child's own setting wins, then its role's,
// then its supervisor's defaults, then the built-in default. A value the
// core would read as unset (0s for a duration, role: none, an empty backoff
// block...) is an error when written, saying what to write instead: in a
// file, the way to take the default is to leave the key out.
//
// docs/config.md has every key with its default, the error format, the
// registry, env references and secrets, and how to regenerate the schema.
package config
