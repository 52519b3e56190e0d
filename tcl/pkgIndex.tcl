# KafkaKit's Tcl package: `lappend auto_path DIR; package require kafka`.
package ifneeded kafka 2.2.2 [list apply {dir {
    load [file join $dir libKafkaKitTcl[info sharedlibextension]] Kafka
    source [file join $dir kafka.tcl]
}} $dir]
