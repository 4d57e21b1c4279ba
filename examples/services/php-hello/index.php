<?php
// Starphleet sample service: answers every request on $PORT.
require __DIR__ . '/vendor/autoload.php';

use Starphleet\Greeting\Greeting;

header('Content-Type: text/plain; charset=utf-8');
echo Greeting::hello('Starphleet') . ' (PHP ' . PHP_VERSION . ")\n";
