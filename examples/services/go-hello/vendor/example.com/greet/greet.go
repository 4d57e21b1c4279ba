// Package greet is a tiny module vendored by go-hello, to show that a
// vendor/ folder builds with no module download.
package greet

// Hello greets name.
func Hello(name string) string {
	return "Hello from " + name
}
