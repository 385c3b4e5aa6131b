package verdict

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestHolds(t *testing.T) {
	for _, tc := range []struct {
		op           Op
		value, bound float64
		want         bool
	}{
		{AtMost, 1, 2, true}, {AtMost, 2, 2, true}, {AtMost, 3, 2, false},
		{AtLeast, 3, 2, true}, {AtLeast, 2, 2, true}, {AtLeast, 1, 2, false},
		{Equal, 2, 2, true}, {Equal, 1, 2, false},
		{AtMost, math.NaN(), 2, false}, {AtLeast, math.NaN(), 2, false}, {Equal, math.NaN(), math.NaN(), false},
		{Op("<"), 1, 2, false}, {Op(""), 1, 1, false},
	} {
		if got := tc.op.Holds(tc.value, tc.bound); got != tc.want {
			t.Errorf("%v %s %v: %v, want %v", tc.value, tc.op, tc.bound, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		c    Check
		want Check
	}{
		{Compare("p99", 12.5, AtMost, 100, "ms"),
			Check{Name: "p99", Limit: "<= 100 ms", Measured: "12.5 ms", Status: Pass,
				Compare: Comparison{Value: 12.5, Op: AtMost, Bound: 100, Unit: "ms"}}},
		{Compare("left", 2, Equal, 0, ""),
			Check{Name: "left", Limit: "== 0", Measured: "2", Status: Fail, Compare: Comparison{Value: 2, Op: Equal}}},
		{Compare("events", 2888897, AtLeast, 644.8, ""),
			Check{Name: "events", Limit: ">= 644.8", Measured: "2888897", Status: Pass,
				Compare: Comparison{Value: 2888897, Op: AtLeast, Bound: 644.8}}},
	} {
		if !reflect.DeepEqual(tc.c, tc.want) {
			t.Errorf("got  %+v\nwant %+v", tc.c, tc.want)
		}
	}
	if c := Compare("nan", math.NaN(), AtMost, 1, ""); c.Status != Fail || c.Measured != "NaN" {
		t.Errorf("a NaN measurement: %+v, want a failure", c)
	}
}

func TestPassIf(t *testing.T) {
	if PassIf(true) != Pass || PassIf(false) != Fail {
		t.Error("PassIf")
	}
}

func TestJudge(t *testing.T) {
	pass := Check{Name: "a", Status: Pass}
	fail := func(name string) Check { return Check{Name: name, Status: Fail} }
	for _, tc := range []struct {
		name   string
		checks []Check
		pass   bool
		failed []string
	}{
		{"nothing measured", nil, false, nil},
		{"all pass", []Check{pass, pass}, true, nil},
		{"info and n/a neither pass nor fail", []Check{pass, {Name: "i", Status: Info}, {Name: "n", Status: NA}}, true, nil},
		{"only n/a", []Check{{Name: "n", Status: NA}}, true, nil},
		{"failures named in order", []Check{fail("x"), pass, fail("y")}, false, []string{"x", "y"}},
	} {
		v := Judge(tc.checks)
		if v.Pass != tc.pass || !reflect.DeepEqual(v.Failed, tc.failed) || len(v.Checks) != len(tc.checks) {
			t.Errorf("%s: %+v, want pass %v, failed %q", tc.name, v, tc.pass, tc.failed)
		}
	}
}

func TestMarshal(t *testing.T) {
	v := Judge([]Check{
		Compare("goroutines_left", 0, Equal, 0, ""),
		{Name: "RSS growth", Limit: "< 1 MB/h", Measured: "unavailable", Status: NA, Note: "no /proc & no statm"},
		Compare("p99", 120, AtMost, 100, "ms"),
	})
	b, err := Marshal(struct {
		Verdict Verdict `json:"verdict"`
	}{v})
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{
		`"pass": false`, `"failed": [`, `"p99"`,
		`"limit": "< 1 MB/h"`, `"note": "no /proc & no statm"`, `"status": "n/a"`,
		`"compare": {`, `"value": 0,`, `"op": "=="`, `"bound": 100`, `"unit": "ms"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s:\n%s", want, js)
		}
	}
	if strings.Count(js, `"compare"`) != 2 || !strings.HasSuffix(js, "}\n") {
		t.Errorf("want compare on the two numeric checks only, and a final newline:\n%s", js)
	}
	var back struct {
		Verdict Verdict `json:"verdict"`
	}
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Verdict, v) {
		t.Errorf("read back %+v (%v), want %+v", back.Verdict, err, v)
	}
	if _, err := Marshal(Compare("nan", math.NaN(), AtMost, 1, "")); err == nil {
		t.Error("Marshal encoded NaN")
	}
}
