package config

import (
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// keyBounds are the bounds a number key's jsonschema tag gives it, which
// the JSON Schema states too: its minimum and maximum, or its one enum
// value as both; nil where the tag gives none. checkMax says that max is
// the tag's maximum of a whole-number key, which the decoder checks: no
// later check knows it.
type keyBounds struct {
	min, max *big.Float
	checkMax bool
}

// boundsOf reads the bounds of a key of type t from its jsonschema tag.
func boundsOf(t reflect.Type, tag string) keyBounds {
	var b keyBounds
	var enums []*big.Float
	for part := range strings.SplitSeq(tag, ",") {
		name, val, _ := strings.Cut(part, "=")
		x, ok := new(big.Float).SetString(val)
		if !ok {
			continue
		}
		switch name {
		case "minimum":
			b.min = x
		case "maximum":
			b.max = x
			b.checkMax = isWhole(t)
		case "enum":
			enums = append(enums, x)
		}
	}
	if len(enums) == 1 && b.min == nil && b.max == nil {
		b.min, b.max = enums[0], enums[0]
	}
	return b
}

// isWhole reports whether t, or what it points to or holds, is an integer.
func isWhole(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return true
	}
	return false
}

// typeRange returns the least and the greatest value of a number type.
func typeRange(t reflect.Type) (lo, hi *big.Float) {
	switch t.Kind() {
	case reflect.Uint64:
		return new(big.Float), new(big.Float).SetUint64(math.MaxUint64)
	case reflect.Float64:
		return big.NewFloat(-math.MaxFloat64), big.NewFloat(math.MaxFloat64)
	}
	lo, hi = new(big.Float).SetInt64(math.MinInt64), new(big.Float).SetInt64(math.MaxInt64)
	if t.Kind() == reflect.Int && strconv.IntSize == 32 {
		lo, hi = big.NewFloat(math.MinInt32), big.NewFloat(math.MaxInt32)
	}
	return lo, hi
}

// number returns the value of a number node as written: an integer or a
// float, or a plain scalar the parser read as a string because its value is
// too large for a 64-bit number (it reads 99999999999999999999 and 1.0e400
// so). whole says it is written as an integer; ok is false for anything
// else.
func number(n ast.Node) (x *big.Float, text string, whole, ok bool) {
	switch m := n.(type) {
	case *ast.IntegerNode:
		switch v := m.Value.(type) {
		case int64:
			return new(big.Float).SetInt64(v), tokenValue(m), true, true
		case uint64:
			return new(big.Float).SetUint64(v), tokenValue(m), true, true
		}
	case *ast.FloatNode:
		return big.NewFloat(m.Value), tokenValue(m), false, true
	case *ast.StringNode:
		if tk := m.GetToken(); tk != nil && tk.Type == token.StringType {
			x, whole, ok := tooLong(m.Value)
			return x, m.Value, whole, ok
		}
	}
	return nil, "", false, false
}

// tooLong reads text as the parser reads a number, with any precision: an
// optional sign, digits with '_' anywhere, 0x, 0o, 0b or a leading 0 for
// hexadecimal, octal and binary, one '.' and an exponent for a float.
func tooLong(text string) (x *big.Float, whole, ok bool) {
	if strings.HasPrefix(text, "_") || strings.Count(text, ".") > 1 {
		return nil, false, false
	}
	sign, digits := "", strings.ReplaceAll(text, "_", "")
	if digits != "" && (digits[0] == '-' || digits[0] == '+') {
		sign, digits = digits[:1], digits[1:]
	}
	if strings.Contains(digits, ".") {
		x, ok := new(big.Float).SetString(sign + digits)
		return x, false, ok && !strings.ContainsAny(digits, "xXpP_")
	}
	base := 10
	switch {
	case strings.HasPrefix(digits, "0x"), strings.HasPrefix(digits, "0o"), strings.HasPrefix(digits, "0b"):
		base = 0
	case strings.HasPrefix(digits, "0") && len(digits) > 1:
		base = 8
	}
	i, ok := new(big.Int).SetString(sign+digits, base)
	if !ok {
		return nil, false, false
	}
	return new(big.Float).SetInt(i), true, true
}

// inRange reports whether x, written text, is a value v, of a number type,
// holds and the key's bounds b allow, having reported it if not: the
// message names the key's bound.
func (d *decoder) inRange(x *big.Float, text string, v reflect.Value, b keyBounds, path string) bool {
	lo, hi := typeRange(v.Type())
	whole := v.Kind() != reflect.Float64
	switch {
	case x.Cmp(lo) < 0:
		if b.min != nil && b.min.Cmp(lo) > 0 {
			lo = b.min
		}
		d.fail(path, "%s is too small: the minimum is %s", text, formatBound(lo, whole))
	case x.Cmp(hi) > 0 || b.checkMax && x.Cmp(b.max) > 0:
		if b.max != nil && b.max.Cmp(hi) < 0 {
			hi = b.max
		}
		d.fail(path, "%s is too large: the maximum is %s", text, formatBound(hi, whole))
	default:
		return true
	}
	return false
}

func formatBound(x *big.Float, whole bool) string {
	if whole {
		return x.Text('f', 0)
	}
	f, _ := x.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}
