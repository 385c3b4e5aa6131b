package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"
)

func TestPlotDecodes(t *testing.T) {
	r := syntheticReport(10*time.Minute, 2e3, 0)
	var b bytes.Buffer
	if err := writePlot(&b, r); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, plotWidth, plotHeight) {
		t.Fatalf("bounds %v, want %dx%d", got, plotWidth, plotHeight)
	}
	// Both series are drawn: count pixels of each colour.
	pal := plotPalette()
	var rss, gor int
	for y := range plotHeight {
		for x := range plotWidth {
			switch color.RGBAModel.Convert(img.At(x, y)) {
			case pal.rss:
				rss++
			case pal.goroutines:
				gor++
			}
		}
	}
	if rss < plotRight-plotLeft || gor < plotRight-plotLeft {
		t.Errorf("%d RSS pixels, %d goroutine pixels: a series is missing", rss, gor)
	}
}

func TestPlotWithoutRSS(t *testing.T) {
	r := syntheticReport(time.Minute, 0, 0)
	r.Meta.GOOS = "plan9"
	for i := range r.Samples {
		r.Samples[i].RSSOK = false
	}
	r.Analysis = analyze(r.Samples)
	img := renderPlot(r)
	if img.Bounds().Dx() != plotWidth {
		t.Fatalf("bounds %v", img.Bounds())
	}
	// An empty run still draws axes.
	renderPlot(&report{cfg: defaultConfig()})
}

func TestNiceAxis(t *testing.T) {
	for _, tc := range []struct {
		raw, want float64
	}{{0.7, 1}, {1, 1}, {1.3, 2}, {3, 5}, {7, 10}, {0.012, 0.02}, {450, 500}, {0, 1}} {
		if got := niceStep(tc.raw); got != tc.want {
			t.Errorf("niceStep(%v) = %v, want %v", tc.raw, got, tc.want)
		}
	}
	a := newAxis(13.2, 14.1, 100, 0, 5, false)
	if a.lo > 13.2 || a.hi < 14.1 || len(a.ticks) < 3 || a.label(a.ticks[1]) != "13.2" {
		t.Errorf("axis %+v", a)
	}
	if a.px(a.lo) != 100 || a.px(a.hi) != 0 {
		t.Errorf("axis maps its ends to %d and %d", a.px(a.lo), a.px(a.hi))
	}
	x := newAxis(0, 63.4, 0, 1000, 10, true)
	if x.hi != 63.4 || x.ticks[len(x.ticks)-1] != 60 {
		t.Errorf("tight axis ends at %v with last tick %v", x.hi, x.ticks[len(x.ticks)-1])
	}
}
