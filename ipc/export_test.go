package ipc

// ShortDir is shortDir, for the package's external tests.
var ShortDir = shortDir
