//go:build js && wasm

// Command wasm exposes core/sim to the browser (the playground issue).
package main

func main() {}
