package config

import (
	"math"
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// The decoders of scalars: each decodes n into v, the value at path, and
// reports whether it did; if not, it has reported why and v is unchanged.

func (d *decoder) decodeString(n ast.Node, v reflect.Value, path string) bool {
	s, ok := n.(*ast.StringNode)
	if lit, isLit := n.(*ast.LiteralNode); isLit && lit.Value != nil {
		s, ok = lit.Value, true
	}
	if !ok {
		if text, scalar := scalarText(n); scalar {
			d.fail(path, "must be a string, not %s: quote it, as in %q", kindOf(n), text)
		} else {
			d.fail(path, "must be a string, not %s", kindOf(n))
		}
		return false
	}
	v.SetString(s.Value)
	return true
}

func (d *decoder) decodeBool(n ast.Node, v reflect.Value, path string) bool {
	b, ok := n.(*ast.BoolNode)
	if !ok {
		d.fail(path, "must be true or false, not %s", describe(n))
		return false
	}
	v.SetBool(b.Value)
	return true
}

func (d *decoder) decodeInt(n ast.Node, v reflect.Value, path string) bool {
	i, ok := n.(*ast.IntegerNode)
	if !ok {
		d.fail(path, "must be a whole number, not %s", describe(n))
		return false
	}
	switch x := i.Value.(type) {
	case int64:
		if !v.OverflowInt(x) {
			v.SetInt(x)
			return true
		}
	case uint64:
		if x <= math.MaxInt64 && !v.OverflowInt(int64(x)) {
			v.SetInt(int64(x))
			return true
		}
	}
	d.fail(path, "%s is too large", tokenValue(i))
	return false
}

func (d *decoder) decodeUint(n ast.Node, v reflect.Value, path string) bool {
	i, ok := n.(*ast.IntegerNode)
	if !ok {
		d.fail(path, "must be a whole number, not %s", describe(n))
		return false
	}
	switch x := i.Value.(type) {
	case int64:
		if x < 0 {
			d.fail(path, "%d must be more than 0", x)
			return false
		}
		v.SetUint(uint64(x))
	case uint64:
		v.SetUint(x)
	}
	return true
}

func (d *decoder) decodeFloat(n ast.Node, v reflect.Value, path string) bool {
	var f float64
	switch x := n.(type) {
	case *ast.FloatNode:
		f = x.Value
	case *ast.IntegerNode:
		switch y := x.Value.(type) {
		case int64:
			f = float64(y)
		case uint64:
			f = float64(y)
		}
	default:
		d.fail(path, "must be a number, not %s", describe(n))
		return false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		d.fail(path, "must be a finite number, not %s", describe(n))
		return false
	}
	v.SetFloat(f)
	return true
}
