# Runs every *.test file of this directory, each in a tclsh of its own, and exits non-zero if
# any test failed or a file did not finish.
#   KAFKA_TCL_DIR: the directory the package is installed in (its auto_path entry)
#   KAFKA_BOOTSTRAP_SERVERS: the broker (under CI=true, a missing one is a failure)
set dir [file dirname [file normalize [info script]]]
set files [lsort [glob -directory $dir *.test]]
if {[llength $argv] > 0} {
    set files [lmap f $files { expr {[lsearch -glob $argv *[file rootname [file tail $f]]*] >= 0 ? $f : [continue]} }]
}
set failedFiles {}
set totals [dict create Total 0 Passed 0 Skipped 0 Failed 0]
foreach file $files {
    set name [file tail $file]
    puts "==== $name"
    set status 0
    if {[catch {exec [info nameofexecutable] $file 2>@1} output options]} {
        set status 1
    }
    puts $output
    if {[regexp {:\s+Total\s+(\d+)\s+Passed\s+(\d+)\s+Skipped\s+(\d+)\s+Failed\s+(\d+)} $output -> t p s f]} {
        foreach key {Total Passed Skipped Failed} value [list $t $p $s $f] { dict incr totals $key $value }
        if {$f > 0} { set status 1 }
    } else {
        set status 1
    }
    if {$status} { lappend failedFiles $name }
}
puts "tcl tests: Total [dict get $totals Total] Passed [dict get $totals Passed] Skipped [dict get $totals Skipped] Failed [dict get $totals Failed]"
if {[llength $failedFiles]} {
    puts "tcl tests failed in: [join $failedFiles {, }]"
    exit 1
}
exit 0
