//go:build !js

package ui

// Outside the browser (the server's prerender, host tests) there is no
// page to hide, title or notify from: these keep the same calls working
// and do nothing.

func notifyPermission() string                                 { return "" }
func requestNotify(done func(permission string))               { done("") }
func showNotification(title, body, tag string, onClick func()) {}
func notifyWanted() bool                                       { return false }
func setNotifyWanted(on bool)                                  {}
func pageHidden() bool                                         { return false }
func onVisibility(f func(hidden bool)) (stop func())           { return func() {} }
func setTitle(s string)                                        {}
