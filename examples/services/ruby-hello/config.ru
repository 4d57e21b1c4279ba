# Starphleet sample service: a Sinatra app on puma, answering every GET on $PORT.
require "sinatra/base"
require "starphleet/greeting"

class Hello < Sinatra::Base
  get "/*" do
    content_type "text/plain"
    "#{Starphleet::Greeting.hello('Starphleet')} (Ruby #{RUBY_VERSION}, Sinatra #{Sinatra::VERSION})\n"
  end
end

run Hello
