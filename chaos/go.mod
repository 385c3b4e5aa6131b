module github.com/go-supervisor/supervisor/chaos

go 1.26.0

require (
	github.com/go-supervisor/supervisor v0.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
	pgregory.net/rapid v1.3.0
)
