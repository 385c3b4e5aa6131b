package follow

import "strings"

// Paths is a set of child paths indexed by the path of their supervisor,
// for a consumer that keeps state per child: a nested supervisor's
// children get no child_removed of their own, so removing the supervisor
// must remove everything under it, and the index finds that without a
// scan. The zero value is an empty set. It is not safe for concurrent use.
type Paths struct {
	under map[string]map[string]struct{} // children by supervisor path
}

// Add puts path in the set.
func (p *Paths) Add(path string) {
	if path == "/" {
		return
	}
	if p.under == nil {
		p.under = make(map[string]map[string]struct{})
	}
	parent := Parent(path)
	kids := p.under[parent]
	if kids == nil {
		kids = make(map[string]struct{})
		p.under[parent] = kids
	}
	kids[path] = struct{}{}
}

// Remove takes path and every path under it out of the set, calling gone
// for path (whether it was in the set or not) and for each path under it.
func (p *Paths) Remove(path string, gone func(path string)) {
	parent := Parent(path)
	if kids := p.under[parent]; kids != nil {
		delete(kids, path)
		if len(kids) == 0 {
			delete(p.under, parent)
		}
	}
	gone(path)
	for kid := range p.under[path] {
		p.Remove(kid, gone)
	}
	delete(p.under, path)
}

// Each calls f for every path in the set, in no particular order. f must
// not change the set.
func (p *Paths) Each(f func(path string)) {
	for _, kids := range p.under {
		for path := range kids {
			f(path)
		}
	}
}

// Parent returns the path of the supervisor of the child at path.
func Parent(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}
