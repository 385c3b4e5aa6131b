module github.com/go-supervisor/supervisor

go 1.26.0

require (
	github.com/goccy/go-yaml v1.19.2
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)

require github.com/prometheus/client_golang v1.25.0 // indirect
