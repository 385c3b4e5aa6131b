package config

import (
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

// decodeWhole decodes an integer: an int, an int64 or a uint64.
func (d *decoder) decodeWhole(n ast.Node, v reflect.Value, path string, b keyBounds) bool {
	x, text, whole, ok := number(n)
	if !ok || !whole {
		d.fail(path, "must be a whole number, not %s", describe(n))
		return false
	}
	if !d.inRange(x, text, v, b, path) {
		return false
	}
	if v.Kind() == reflect.Uint64 {
		u, _ := x.Uint64()
		v.SetUint(u)
	} else {
		i, _ := x.Int64()
		v.SetInt(i)
	}
	return true
}

func (d *decoder) decodeFloat(n ast.Node, v reflect.Value, path string, b keyBounds) bool {
	switch n.(type) {
	case *ast.InfinityNode, *ast.NanNode:
		d.fail(path, "must be a finite number, not %s", describe(n))
		return false
	}
	x, text, _, ok := number(n)
	if !ok {
		d.fail(path, "must be a number, not %s", describe(n))
		return false
	}
	if !d.inRange(x, text, v, b, path) {
		return false
	}
	f, _ := x.Float64()
	v.SetFloat(f)
	return true
}
