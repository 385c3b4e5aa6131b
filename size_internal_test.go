package supervisor

import (
	"testing"
	"unsafe"
)

// The per-child records are sized to keep an idle child within 3.2 KB
// (docs/performance.md); a field added carelessly crosses a size class.
func TestRecordSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are budgeted for 64-bit platforms")
	}
	for _, tc := range []struct {
		name      string
		size, max uintptr
	}{
		{"child", unsafe.Sizeof(child{}), 144},
		{"attempt", unsafe.Sizeof(attempt{}), 96},
	} {
		if tc.size > tc.max {
			t.Errorf("%s is %d bytes, over its budget of %d: every idle child pays for it", tc.name, tc.size, tc.max)
		}
	}
}

// A Child, which a program declares once per child, keeps its small fields
// together: 232 bytes, not the 248 its padding cost when they were apart.
func TestChildDeclarationSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are budgeted for 64-bit platforms")
	}
	if s := unsafe.Sizeof(Child{}); s > 232 {
		t.Errorf("Child is %d bytes, over its budget of 232", s)
	}
}
