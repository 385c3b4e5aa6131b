package config_test

import (
	"context"
	"fmt"

	"github.com/go-supervisor/supervisor"
	"github.com/go-supervisor/supervisor/config"
)

// A program registers the functions its config files may run, parses a
// file and starts the tree it describes.
func Example() {
	var reg config.Registry
	reg.Func("api.serve", func(ctx context.Context) error {
		<-ctx.Done() // serve until asked to stop
		return nil
	})

	spec, err := config.Parse([]byte(`
name: shop
intensity: {max_restarts: 5, period: 10s}
children:
  - name: api
    run: api.serve
    role: service
    shutdown: 10s
`), "shop.yaml", &reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	tree, err := supervisor.Start(ctx, spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	info, _ := tree.Snapshot().Child("/api")
	fmt.Println(tree.Name(), info.Path, info.State)
	if _, err := tree.Shutdown(ctx, supervisor.Audit{Who: "example", Why: "done"}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// shop /api running
}

// A file with problems is rejected with all of them, each with its
// position, its key and what to write instead.
func ExampleParse_errors() {
	var reg config.Registry
	reg.Func("api.serve", func(ctx context.Context) error { <-ctx.Done(); return nil })
	_, err := config.Parse([]byte(`
children:
  - name: api
    run: api.srv
    backofff: {initial: 100ms}
    shutdown: 10
`), "shop.yaml", &reg)
	fmt.Println(err)
	// Output:
	// shop.yaml:4:5: children[0].run: "api.srv" is not a registered function: did you mean api.serve? registered: api.serve
	// shop.yaml:5:5: children[0].backofff: unknown key: did you mean backoff?
	// shop.yaml:6:5: children[0].shutdown: 10 has no unit: write 10s or 10ms, for instance
}
