# The easy layer of the kafka package: one master, producer and consumer made on demand.
#
#   ::kafka::brokers {host1:9092 host2:9092}
#   set t [::kafka::topic_producer ::orders orders]
#   $t produce -1 "hello"

namespace eval ::kafka {
    variable brokers 127.0.0.1
    variable masterIsSetup 0
    variable producerIsSetup 0
    variable consumerIsSetup 0
    variable loggingEnabled 0

    namespace export brokers setup setup_producer setup_consumer topic_producer topic_consumer subscriber
}

proc ::kafka::logger {message} {
    variable loggingEnabled
    if {$loggingEnabled} { puts stderr "kafka: $message" }
}

# Options of the easy layer: -brokers LIST.
proc ::kafka::handle_args {arguments} {
    variable brokers
    if {[llength $arguments] % 2 != 0} {
        error "options must come in pairs, like -brokers {127.0.0.1:9092}, not '$arguments'"
    }
    foreach {key value} $arguments {
        if {[string index $key 0] ne "-"} {
            error "argument '$key' doesn't start with a dash"
        }
        switch -- $key {
            -brokers { set brokers $value }
            default { error "argument '$key' unrecognized, must be one of '-brokers'" }
        }
    }
}

# Creates ::kafka::master unless it exists.
proc ::kafka::setup {args} {
    variable masterIsSetup
    handle_args $args
    if {$masterIsSetup} { return }
    ::kafka::kafka create ::kafka::master
    set masterIsSetup 1
}

# Sets the brokers the objects made from now on connect to.
proc ::kafka::brokers {brokerList} {
    setup -brokers $brokerList
}

proc ::kafka::setup_producer {args} {
    variable producerIsSetup
    variable brokers
    if {$producerIsSetup} { return }
    setup {*}$args
    ::kafka::master producer_creator ::kafka::producer
    ::kafka::producer add_brokers $brokers
    set producerIsSetup 1
}

proc ::kafka::setup_consumer {args} {
    variable consumerIsSetup
    variable brokers
    if {$consumerIsSetup} { return }
    setup {*}$args
    ::kafka::master consumer_creator ::kafka::consumer
    ::kafka::consumer add_brokers $brokers
    set consumerIsSetup 1
}

# A topic producer command NAME for TOPIC, on ::kafka::producer.
proc ::kafka::topic_producer {name topic} {
    setup_producer
    return [::kafka::producer new_topic $name $topic]
}

# A topic consumer command NAME for TOPIC, on ::kafka::consumer.
proc ::kafka::topic_consumer {name topic} {
    setup_consumer
    return [::kafka::consumer new_topic $name $topic]
}

# A group consumer of GROUP (a new subscriber object; its name is returned).
proc ::kafka::subscriber {groupid args} {
    variable brokers
    setup {*}$args
    ::kafka::master config group.id $groupid
    ::kafka::master config bootstrap.servers [join $brokers ,]
    return [::kafka::master subscriber #auto]
}
