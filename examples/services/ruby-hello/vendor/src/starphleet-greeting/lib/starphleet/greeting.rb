# A tiny gem vendored by ruby-hello (vendor/cache), to show that a gem
# Debian does not package can come with the app.
module Starphleet
  module Greeting
    def self.hello(name)
      "Hello from #{name}"
    end
  end
end
