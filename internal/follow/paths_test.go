package follow_test

import (
	"slices"
	"testing"

	"github.com/go-supervisor/supervisor/internal/follow"
)

// Removing a supervisor's path removes the paths under it, however deep,
// and nothing else.
func TestPathsRemove(t *testing.T) {
	var p follow.Paths
	for _, path := range []string{"/a", "/n", "/n/x", "/n/m", "/n/m/z", "/nn/w"} {
		p.Add(path)
	}
	var gone []string
	p.Remove("/n", func(path string) { gone = append(gone, path) })
	p.Remove("/never-added", func(path string) { gone = append(gone, path) })
	slices.Sort(gone)
	if want := []string{"/n", "/n/m", "/n/m/z", "/n/x", "/never-added"}; !slices.Equal(gone, want) {
		t.Fatalf("gone %v, want %v", gone, want)
	}
	var left []string
	p.Each(func(path string) { left = append(left, path) })
	slices.Sort(left)
	if want := []string{"/a", "/nn/w"}; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}
