module github.com/go-supervisor/supervisor/config

go 1.26.0

require (
	github.com/go-supervisor/supervisor v0.1.0
	github.com/go-supervisor/supervisor/process v0.1.0
	github.com/goccy/go-yaml v1.19.2
	go.uber.org/goleak v1.3.0
)

require golang.org/x/sys v0.50.0 // indirect
