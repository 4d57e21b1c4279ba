# Starphleet sample service: a PSGI app run by plackup, answering every
# request on $PORT.
use strict;
use warnings;
use Plack::Request;

my $app = sub {
    my $req = Plack::Request->new(shift);
    return [
        200,
        [ 'Content-Type' => 'text/plain; charset=utf-8' ],
        [ sprintf "Hello from Starphleet (Perl %vd, Plack %s)\n", $^V, $Plack::VERSION ],
    ];
};
