module github.com/go-supervisor/supervisor/bench

go 1.26.0

require (
	github.com/go-supervisor/supervisor v0.1.0
	github.com/thejerf/suture/v4 v4.0.6
	go.uber.org/goleak v1.3.0
)
