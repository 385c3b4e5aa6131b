module github.com/go-supervisor/supervisor/soak

go 1.26.0

require (
	github.com/go-supervisor/supervisor v0.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/image v0.48.0
)
