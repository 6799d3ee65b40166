#!/usr/bin/perl
# write-lab-mmdb.pl: build lab.mmdb, a City+ASN-shaped MaxMind database for the address
# ranges of lolwire's own test captures, with Debian's libmaxmind-db-writer-perl.
#
#   perl tests/geo/write-lab-mmdb.pl OUT.mmdb
#
# The capture sets use documentation ranges as "internet" servers: 198.51.100.0/24
# (TEST-NET-2) and 203.0.113.0/24 (TEST-NET-3).  MaxMind's writer drops reserved ranges
# unless told not to (remove_reserved_networks => 0).  The values are invented.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUT.mmdb\n";
my %types = (
    country => 'map', iso_code => 'utf8_string', names => 'map', en => 'utf8_string',
    city => 'map', location => 'map', latitude => 'double', longitude => 'double',
    subdivisions => ['array', 'map'],
    autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 28, database_type => 'Lolwire-Lab-City-ASN',
    languages => ['en'], description => { en => 'lolwire test captures' },
    map_key_type_callback => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,
);
$tree->insert_network('198.51.100.0/24', {
    country => { iso_code => 'NL', names => { en => 'Netherlands' } },
    subdivisions => [ { iso_code => 'NH' } ],
    city => { names => { en => 'Amsterdam' } },
    location => { latitude => 52.37, longitude => 4.89 },
    autonomous_system_number => 64500, autonomous_system_organization => 'Example Transit B.V.' });
$tree->insert_network('203.0.113.0/24', {
    country => { iso_code => 'SC', names => { en => 'Seychelles' } },
    location => { latitude => -4.62, longitude => 55.45 },
    autonomous_system_number => 64501, autonomous_system_organization => 'Example Bulletproof Hosting' });
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
