<?php
// Autoloader for the committed vendor/ (what `composer dump-autoload` makes,
// cut down to the one package this sample uses).
spl_autoload_register(function (string $class): void {
    $prefix = 'Starphleet\\Greeting\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        require __DIR__ . '/starphleet/greeting/src/' . substr($class, strlen($prefix)) . '.php';
    }
});
