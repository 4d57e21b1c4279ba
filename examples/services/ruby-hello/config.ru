# Starphleet sample service: a Sinatra app on puma, answering every GET on $PORT.
require "sinatra/base"

class Hello < Sinatra::Base
  get "/*" do
    content_type "text/plain"
    "Hello from Starphleet (Ruby #{RUBY_VERSION}, Sinatra #{Sinatra::VERSION})\n"
  end
end

run Hello
