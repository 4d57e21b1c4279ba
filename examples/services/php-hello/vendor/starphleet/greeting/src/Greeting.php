<?php
// A tiny package committed in vendor/, the way `composer install` leaves one.
namespace Starphleet\Greeting;

final class Greeting
{
    public static function hello(string $name): string
    {
        return "Hello from {$name}";
    }
}
