# Shared set-up of the kafka package's tcltest files.
#   KAFKA_TCL_DIR            where the package is installed (added to auto_path)
#   KAFKA_BOOTSTRAP_SERVERS  the test broker, HOST:PORT; without it the broker tests are
#                            skipped — except under CI=true, where that is a failure
#   KAFKA_CLI                the `kafka` command, used to create topics with N partitions
package require tcltest 2.5
namespace import ::tcltest::*
configure -verbose {error}
# tcltest options from the command line (-match NAME, -verbose bpse, ...).
if {[llength $argv]} { configure {*}$argv }
# Scripts the tests write go to a directory of their own, not into the checkout.
configure -tmpdir [file join [expr {[info exists env(TMPDIR)] ? $env(TMPDIR) : "/tmp"}] kafka-tcl-tests-[pid]]

if {[info exists env(KAFKA_TCL_DIR)]} { lappend auto_path $env(KAFKA_TCL_DIR) }
package require kafka

set ::broker ""
if {[info exists env(KAFKA_BOOTSTRAP_SERVERS)] && $env(KAFKA_BOOTSTRAP_SERVERS) ne ""} {
    set ::broker $env(KAFKA_BOOTSTRAP_SERVERS)
} elseif {[info exists env(CI)] && $env(CI) eq "true"} {
    puts stderr "KAFKA_BOOTSTRAP_SERVERS is not set: under CI=true the broker tests must run"
    exit 1
}
testConstraint broker [expr {$::broker ne ""}]

# A topic name no other test (or earlier run) uses.
proc uniqueTopic {prefix} {
    return "$prefix-[clock microseconds]-[expr {int(rand() * 1000000)}]"
}

# Creates TOPIC with PARTITIONS partitions through the `kafka` command.
proc createTopic {topic partitions} {
    exec $::env(KAFKA_CLI) topics create $topic --partitions $partitions --brokers $::broker
    # The broker has it at once; a new client learns it with its first metadata.
    return $topic
}

# Runs the event loop until SCRIPT is true or MS milliseconds passed; returns SCRIPT's value.
proc waitUntil {script {ms 20000}} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {![uplevel 1 [list expr $script]]} {
        if {[clock milliseconds] > $deadline} { return 0 }
        after 10 [list set ::waitUntilTick 1]
        vwait ::waitUntilTick
    }
    return 1
}

# A master with a producer handle and a consumer handle on the test broker.
proc makeClients {prefix} {
    set master [::kafka::kafka create ${prefix}_master]
    $master producer_creator ${prefix}_producer
    ${prefix}_producer add_brokers $::broker
    $master consumer_creator ${prefix}_consumer
    ${prefix}_consumer add_brokers $::broker
    return $master
}

# Prints the counts (all.tcl reads them) and exits non-zero if a test failed.
proc finish {} {
    set failed $::tcltest::numTests(Failed)
    cleanupTests
    exit [expr {$failed > 0}]
}
