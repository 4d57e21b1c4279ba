package hello;

final class Greeting {
    private Greeting() {}

    static String text() {
        return "Hello from Starphleet (Java " + System.getProperty("java.version") + ")";
    }
}
