# The Tcl package's benchmark loops (scripts/bench-tcl runs them beside the C baselines):
#   tclsh tcl_bench.tcl produce BROKERS TOPIC COUNT SIZE   COUNT x SIZE-byte `produce` calls, then
#                                                          the producer's delete (all delivered)
#   tclsh tcl_bench.tcl produce_noop COUNT SIZE            the same loop through a no-op command
#   tclsh tcl_bench.tcl consume BROKERS TOPIC COUNT        `consume_batch` of 1000 until COUNT read
#   tclsh tcl_bench.tcl consume_noop COUNT                 the same loop's interpreter work: the
#                                                          body run once per record
#   tclsh tcl_bench.tcl consume_fill_noop COUNT            the body, and the five array elements
#                                                          set from Tcl (what consume_batch does)
#   tclsh tcl_bench.tcl startup BROKERS                    package require, a producer and a
#                                                          consumer made and deleted (the fixed
#                                                          cost inside the others' CPU figures)
# Each prints one line: mode=NAME msgs=N seconds=S msgs_per_s=N (plus failed= for produce).
# KAFKA_TCL_DIR is the package's auto_path entry.
if {[info exists env(KAFKA_TCL_DIR)]} { lappend auto_path $env(KAFKA_TCL_DIR) }

proc report {mode msgs start {extra ""}} {
    set seconds [expr {([clock microseconds] - $start) / 1e6}]
    puts [format "mode=%s msgs=%d seconds=%.3f msgs_per_s=%.0f%s" $mode $msgs $seconds [expr {$msgs / $seconds}] $extra]
}

proc produceLoop {command count payload} {
    for {set i 0} {$i < $count} {incr i} { {*}$command 0 $payload }
}

switch -- [lindex $argv 0] {
    produce {
        lassign $argv - brokers topic count size
        package require kafka
        ::kafka::kafka create m
        m config linger.ms 5
        set ::failed 0
        m error_callback {apply {{e} { incr ::failed }}}
        m producer_creator p
        p add_brokers $brokers
        p new_topic t $topic
        set payload [string repeat x $size]
        set start [clock microseconds]
        produceLoop {t produce} $count $payload
        p delete
        update
        report tcl_produce $count $start " failed=$::failed"
    }
    produce_noop {
        lassign $argv - count size
        set payload [string repeat x $size]
        # The same call shape through Tcl's cheapest C command with two words.
        set start [clock microseconds]
        produceLoop {list} $count $payload
        report tcl_produce_noop $count $start
    }
    consume {
        lassign $argv - brokers topic count
        package require kafka
        ::kafka::kafka create m
        m consumer_creator c
        c add_brokers $brokers
        c new_topic t $topic
        t start 0 beginning
        set n 0
        set start ""
        while {$n < $count} {
            if {[t consume_batch 0 10000 1000 msg { incr n }] == 0} {
                puts stderr "tcl_consume: nothing came for 10 s after $n of $count records"
                exit 1
            }
            if {$start eq ""} { set start [clock microseconds]; set first $n }
        }
        report tcl_consume [expr {$n - $first}] $start
    }
    consume_noop {
        lassign $argv - count
        set n 0
        set start [clock microseconds]
        while {$n < $count} {
            for {set i 0} {$i < 1000} {incr i} { incr n }
        }
        report tcl_consume_noop $n $start
    }
    consume_fill_noop {
        lassign $argv - count
        set payload [string repeat x 100]
        set topic t
        set n 0
        set start [clock microseconds]
        while {$n < $count} {
            for {set i 0} {$i < 1000} {incr i} {
                set msg(payload) $payload
                set msg(partition) 0
                set msg(offset) $n
                set msg(topic) $topic
                set msg(timestamp) $n
                incr n
            }
        }
        report tcl_consume_fill_noop $n $start
    }
    startup {
        lassign $argv - brokers
        set start [clock microseconds]
        package require kafka
        ::kafka::kafka create m
        m producer_creator p
        p add_brokers $brokers
        m consumer_creator c
        c add_brokers $brokers
        p delete
        c delete
        report tcl_startup 1 $start
    }
    default {
        puts stderr "usage: tclsh tcl_bench.tcl produce|produce_noop|consume|consume_noop ..."
        exit 2
    }
}
